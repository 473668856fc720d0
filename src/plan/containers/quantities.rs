//! Kubernetes resource quantities as compose `deploy.resources` values.

/// Kubernetes CPU (`500m`, `2`, `1.5`) as a compose `cpus` string (`0.5`, `2`, `1.5`).
pub(crate) fn compose_cpus(quantity: &str) -> Option<String> {
    let millis = match quantity.strip_suffix('m') {
        Some(m) => m.parse::<u64>().ok()?,
        None => {
            let (whole, frac) = quantity.split_once('.').unwrap_or((quantity, ""));
            let digits: String = frac.chars().chain("000".chars()).take(3).collect();
            // Kubernetes rounds finer precision up to the next millicore.
            let finer = frac.chars().skip(3).any(|c| c != '0');
            whole.parse::<u64>().ok()? * 1000 + digits.parse::<u64>().ok()? + u64::from(finer)
        }
    };
    let (whole, frac) = (millis / 1000, millis % 1000);
    Some(if frac == 0 {
        whole.to_string()
    } else {
        format!("{whole}.{}", format!("{frac:03}").trim_end_matches('0'))
    })
}

/// Kubernetes memory (`512Mi`, `1Gi`, `1G`) as a compose byte size. Docker's units are binary,
/// so `Mi` becomes `M`; decimal quantities are written in the largest binary unit that divides
/// them exactly, else in bytes.
pub(crate) fn compose_memory(quantity: &str) -> Option<String> {
    let split = quantity
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(quantity.len());
    let (number, unit) = quantity.split_at(split);
    let multiplier: u128 = match unit {
        "" => 1,
        "k" => 1_000,
        "M" => 1_000_000,
        "G" => 1_000_000_000,
        "T" => 1_000_000_000_000,
        "Ki" => 1 << 10,
        "Mi" => 1 << 20,
        "Gi" => 1 << 30,
        "Ti" => 1 << 40,
        _ => return None,
    };
    let (whole, frac) = number.split_once('.').unwrap_or((number, ""));
    let scale = 10u128.checked_pow(u32::try_from(frac.len()).ok()?)?;
    let digits: u128 = format!("{whole}{frac}").parse().ok()?;
    let bytes = (digits.checked_mul(multiplier)?).div_ceil(scale);
    for (suffix, size) in [
        ("T", 1u128 << 40),
        ("G", 1 << 30),
        ("M", 1 << 20),
        ("K", 1 << 10),
    ] {
        if bytes >= size && bytes % size == 0 {
            return Some(format!("{}{suffix}", bytes / size));
        }
    }
    Some(bytes.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpus_are_decimal_cores() {
        assert_eq!(compose_cpus("500m").as_deref(), Some("0.5"));
        assert_eq!(compose_cpus("1000m").as_deref(), Some("1"));
        assert_eq!(compose_cpus("250m").as_deref(), Some("0.25"));
        assert_eq!(compose_cpus("2").as_deref(), Some("2"));
        assert_eq!(compose_cpus("1.5").as_deref(), Some("1.5"));
        assert_eq!(compose_cpus("0.1234").as_deref(), Some("0.124"));
        assert_eq!(compose_cpus("x"), None);
    }

    #[test]
    fn memory_is_binary_bytes() {
        assert_eq!(compose_memory("512Mi").as_deref(), Some("512M"));
        assert_eq!(compose_memory("2Gi").as_deref(), Some("2G"));
        assert_eq!(compose_memory("1.5Gi").as_deref(), Some("1536M"));
        assert_eq!(compose_memory("1024Mi").as_deref(), Some("1G"));
        assert_eq!(compose_memory("1G").as_deref(), Some("1000000000"));
        assert_eq!(compose_memory("128k").as_deref(), Some("125K"));
        assert_eq!(compose_memory("100k").as_deref(), Some("100000"));
        assert_eq!(compose_memory("64Ki").as_deref(), Some("64K"));
        assert_eq!(compose_memory("12Xi"), None);
    }
}
