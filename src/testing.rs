//! Helpers shared by the unit tests.

/// Numbers below a bound from a deterministic pseudo-random source (xorshift64): the same on
/// every machine and run, so a failing case reproduces.
pub(crate) fn numbers(mut seed: u64) -> impl FnMut(usize) -> usize {
    move |bound| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        usize::try_from(seed % bound as u64).expect("fits")
    }
}
