//! Reproducible pseudo-random numbers for the unit tests' generated inputs.

/// A xorshift generator from `seed` (non-zero): each call gives a number below its argument.
pub fn below(mut seed: u64) -> impl FnMut(u64) -> u64 {
    move |m| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % m
    }
}
