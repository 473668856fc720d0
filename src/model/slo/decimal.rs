//! An exact decimal number, for SLO arithmetic.

use std::cmp::Ordering;
use std::fmt;

/// An exact decimal number: `units / 10^scale`.
#[derive(Debug, Clone, Copy)]
pub struct Decimal {
    units: i128,
    scale: u32,
}

/// Digits after the point we keep at most; more would overflow `i128` in products.
const MAX_SCALE: u32 = 18;

impl Decimal {
    /// An integer.
    pub const fn int(value: i64) -> Self {
        Self {
            units: value as i128,
            scale: 0,
        }
    }

    /// `units / 10^scale`, e.g. `Decimal::new(144, 1)` is 14.4.
    pub const fn new(units: i64, scale: u32) -> Self {
        Self {
            units: units as i128,
            scale,
        }
    }

    /// Parses a plain decimal (`99.9`, `0.5`, `-2`, `10`); no exponents.
    pub fn parse(text: &str) -> Option<Self> {
        let (negative, digits) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (whole, fraction) = digits.split_once('.').unwrap_or((digits, ""));
        if whole.is_empty() && fraction.is_empty() {
            return None;
        }
        if !whole
            .chars()
            .chain(fraction.chars())
            .all(|c| c.is_ascii_digit())
        {
            return None;
        }
        let scale = u32::try_from(fraction.len()).ok()?;
        if scale > MAX_SCALE || whole.len() > 18 {
            return None;
        }
        let units: i128 = format!("{whole}{fraction}").parse().ok()?;
        Some(
            Self {
                units: if negative { -units } else { units },
                scale,
            }
            .normalized(),
        )
    }

    /// The decimal a float was written as: Rust prints the shortest text that reads back as the
    /// same float, so `99.9_f64` becomes exactly 99.9.
    pub fn from_f64(value: f64) -> Option<Self> {
        if !value.is_finite() {
            return None;
        }
        Self::parse(&format!("{value}"))
    }

    /// Drops trailing zeros after the point.
    fn normalized(mut self) -> Self {
        while self.scale > 0 {
            // In 64 bits where the value fits: 128-bit division is a library call.
            let (rest, last) = match i64::try_from(self.units) {
                Ok(units) => (i128::from(units / 10), units % 10 == 0),
                Err(_) => (self.units / 10, self.units % 10 == 0),
            };
            if !last {
                break;
            }
            self.units = rest;
            self.scale -= 1;
        }
        self
    }

    fn rescaled(self, scale: u32) -> i128 {
        self.units * 10i128.pow(scale - self.scale)
    }

    /// `self × other`.
    pub fn times(self, other: Self) -> Self {
        Self {
            units: self.units * other.units,
            scale: self.scale + other.scale,
        }
        .normalized()
    }

    /// `self + other`.
    pub fn plus(self, other: Self) -> Self {
        let scale = self.scale.max(other.scale);
        Self {
            units: self.rescaled(scale) + other.rescaled(scale),
            scale,
        }
        .normalized()
    }

    /// `self − other`.
    pub fn minus(self, other: Self) -> Self {
        self.plus(Self {
            units: -other.units,
            scale: other.scale,
        })
    }

    /// `self / 10^n`: a percentage to a ratio is `shift(2)`.
    pub fn shift(self, n: u32) -> Self {
        Self {
            units: self.units,
            scale: self.scale + n,
        }
        .normalized()
    }

    /// `self / other` to `places` digits after the point, rounded half away from zero; `None`
    /// when `other` is zero or the quotient does not fit.
    pub fn divided_by(self, other: Self, places: u32) -> Option<Self> {
        if other.units == 0 || places > MAX_SCALE {
            return None;
        }
        // self / other = (a / 10^sa) / (b / 10^sb), in units of 10^-places:
        // a × 10^(sb + places) / (b × 10^sa).
        let numerator = self
            .units
            .checked_mul(10i128.checked_pow(other.scale + places)?)?;
        let denominator = other.units.checked_mul(10i128.checked_pow(self.scale)?)?;
        let (quotient, remainder) = (numerator / denominator, numerator % denominator);
        let round_away = remainder.unsigned_abs() * 2 >= denominator.unsigned_abs();
        let units = if round_away {
            quotient + numerator.signum() * denominator.signum()
        } else {
            quotient
        };
        Some(
            Self {
                units,
                scale: places,
            }
            .normalized(),
        )
    }

    /// Whether the value is a whole number.
    pub fn is_integer(self) -> bool {
        self.normalized().scale == 0
    }

    /// Whether the value is above zero.
    pub fn is_positive(self) -> bool {
        self.units > 0
    }

    /// The nearest float (for comparisons that need no exactness, e.g. "closest bucket").
    pub fn to_f64(self) -> f64 {
        // Through the text so the float is the correctly rounded one.
        self.to_string().parse().unwrap_or(f64::NAN)
    }

    /// Rounds to `digits` significant digits, towards zero (`down`) or away from it.
    pub fn round_significant(self, digits: u32, up: bool) -> Self {
        let magnitude = self.units.unsigned_abs().to_string().len() as u32;
        if magnitude <= digits {
            return self;
        }
        let drop = magnitude - digits;
        let factor = 10i128.pow(drop);
        let mut kept = self.units / factor;
        if up && self.units % factor != 0 {
            kept += self.units.signum();
        }
        let units = kept * factor;
        // Express the result with the original scale, then normalise.
        Self {
            units,
            scale: self.scale,
        }
        .normalized()
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Decimal {}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let scale = self.scale.max(other.scale);
        self.rescaled(scale).cmp(&other.rescaled(scale))
    }
}

impl fmt::Display for Decimal {
    /// Plain decimal notation, no exponent, no trailing zeros: `0.0144`, `14.4`, `30`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let d = self.normalized();
        let mut buffer = [0; 39];
        let digits = digits(d.units.unsigned_abs(), &mut buffer);
        let scale = d.scale as usize;
        if d.units < 0 {
            f.write_str("-")?;
        }
        if digits.len() > scale {
            let (whole, fraction) = digits.split_at(digits.len() - scale);
            f.write_str(whole)?;
            if !fraction.is_empty() {
                f.write_str(".")?;
                f.write_str(fraction)?;
            }
            return Ok(());
        }
        f.write_str("0.")?;
        (digits.len()..scale).try_for_each(|_| f.write_str("0"))?;
        f.write_str(digits)
    }
}

/// The decimal digits of `n` (at most 39), written into the end of `buffer`. SLO arithmetic
/// formats many numbers, and a 128-bit division is a library call: the digits are taken in 64
/// bits once the number fits.
fn digits(mut n: u128, buffer: &mut [u8; 39]) -> &str {
    let mut start = buffer.len();
    let mut push = |digit: u8| {
        start -= 1;
        buffer[start] = b'0' + digit;
    };
    let mut small = loop {
        match u64::try_from(n) {
            Ok(small) => break small,
            Err(_) => {
                push((n % 10) as u8);
                n /= 10;
            }
        }
    };
    loop {
        push((small % 10) as u8);
        small /= 10;
        if small == 0 {
            break;
        }
    }
    std::str::from_utf8(&buffer[start..]).unwrap_or_default()
}

impl serde::Serialize for Decimal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(text: &str) -> Decimal {
        Decimal::parse(text).expect("decimal")
    }

    #[test]
    fn parses_and_compares() {
        assert_eq!(d("0.50"), d("0.5"));
        assert!(d("0.25") < d("0.5"));
        assert_eq!(d("-1.5").to_string(), "-1.5");
        assert_eq!(d(".5").to_string(), "0.5");
        assert!(Decimal::parse("1e3").is_none());
        assert!(Decimal::parse("").is_none());
        assert!(Decimal::parse("1.2.3").is_none());
    }

    #[test]
    fn prints_plain_decimals_at_any_size() {
        let p = |units: i128, scale| Decimal { units, scale }.to_string();
        assert_eq!(p(0, 0), "0");
        assert_eq!(p(0, 3), "0");
        assert_eq!(p(5, 3), "0.005");
        assert_eq!(p(-5, 3), "-0.005");
        assert_eq!(p(1500, 3), "1.5");
        assert_eq!(p(144, 1), "14.4");
        assert_eq!(p(-30, 0), "-30");
        assert_eq!(p(i128::MAX, 0), i128::MAX.to_string());
        assert_eq!(p(i128::MIN + 1, 0), (i128::MIN + 1).to_string());
        assert_eq!(p(i128::MIN, 0), i128::MIN.to_string());
        assert_eq!(
            p(i128::from(u64::MAX) * 10 + 7, 1),
            format!("{}.7", u64::MAX)
        );
        assert_eq!(p(1, 18), "0.000000000000000001");
        assert_eq!(p(10i128.pow(20), 20), "1");
        // Against padding the integer's own text, the obvious way.
        let obvious = |units: i128, scale: usize| {
            let text = format!("{:0>width$}", units.unsigned_abs(), width = scale + 1);
            let (whole, fraction) = text.split_at(text.len() - scale);
            let fraction = fraction.trim_end_matches('0');
            let sign = if units < 0 { "-" } else { "" };
            match fraction {
                "" => format!("{sign}{whole}"),
                _ => format!("{sign}{whole}.{fraction}"),
            }
        };
        let samples = (-2000..2000).chain([
            i128::from(i64::MAX),
            i128::from(u64::MAX) + 1,
            -i128::from(u64::MAX) - 1,
            123_456_789_012_345_678_901_234_567,
        ]);
        for units in samples {
            for scale in 0..=MAX_SCALE {
                assert_eq!(
                    p(units, scale),
                    obvious(units, scale as usize),
                    "{units}e-{scale}"
                );
            }
        }
    }

    #[test]
    fn rounds_to_significant_digits() {
        assert_eq!(
            d("0.01584").round_significant(3, false).to_string(),
            "0.0158"
        );
        assert_eq!(
            d("0.01584").round_significant(3, true).to_string(),
            "0.0159"
        );
        assert_eq!(d("0.0158").round_significant(3, true).to_string(), "0.0158");
        assert_eq!(d("1296").round_significant(2, false).to_string(), "1200");
    }

    #[test]
    fn divides_to_a_number_of_places() {
        let q = |a: &str, b: &str, places| d(a).divided_by(d(b), places).map(|q| q.to_string());
        assert_eq!(q("0.02", "0.0013888", 4).as_deref(), Some("14.4009"));
        assert_eq!(q("51840", "3600", 4).as_deref(), Some("14.4"));
        assert_eq!(q("1.4", "3", 4).as_deref(), Some("0.4667"));
        assert_eq!(q("2", "3", 0).as_deref(), Some("1"));
        assert_eq!(q("-2", "3", 2).as_deref(), Some("-0.67"));
        assert_eq!(q("1", "8", 2).as_deref(), Some("0.13"));
        assert_eq!(q("1", "0", 2), None);
    }
}
