//! The placebo-in-space check's draws of comparison areas: enumerated
//! when few, else a stated SplitMix64 sequence (CONTRACT.md).

/// The placebo draws: `k` of `0..n` with replacement. Every one of the
/// nᵏ when there are at most `most`, draw i holding ⌊i/nʲ⌋ mod n in place
/// j (i = 0, 1, …); otherwise `most` draws, draw r holding
/// splitmix64(r·k + j) mod n in place j: a fixed, stated sequence, the same
/// on every run and reproducible outside.
pub(super) fn draws(n: usize, k: usize, most: usize) -> Vec<Vec<usize>> {
    let total = u32::try_from(k)
        .ok()
        .and_then(|k| (n as u128).checked_pow(k))
        .filter(|&t| t <= most as u128);
    match total {
        Some(total) => (0..total)
            .map(|mut i| {
                (0..k)
                    .map(|_| {
                        let place = (i % n as u128) as usize;
                        i /= n as u128;
                        place
                    })
                    .collect()
            })
            .collect(),
        None => (0..most as u64)
            .map(|r| {
                (0..k as u64)
                    .map(|j| (splitmix64(r * k as u64 + j) % n as u64) as usize)
                    .collect()
            })
            .collect(),
    }
}

/// SplitMix64 (Steele, Lea and Flood 2014) of `x`: the placebo draws'
/// stated pseudo-random sequence.
pub(super) fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
