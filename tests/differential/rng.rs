//! A small deterministic pseudo-random generator (SplitMix64), so a seed names the same inputs on
//! every machine and in every run. Not for anything but test data.

/// The seed when `DIFFERENTIAL_SEED` is unset: CI always runs the same cases.
pub const DEFAULT_SEED: u64 = 20_261_206;

/// SplitMix64 (Steele, Lea, Flood 2014): one 64-bit state, full period, good enough spread for
/// choosing test data.
#[derive(Clone, Debug)]
pub struct Rng {
    state: u64,
}

impl Rng {
    /// The generator for case `case` of run `seed`: each case has its own stream, so a case can
    /// be rerun alone and its input does not depend on the cases before it.
    pub fn for_case(seed: u64, case: u64) -> Rng {
        let mut mixer = Rng {
            state: seed ^ case.wrapping_mul(0xA076_1D64_78BD_642F),
        };
        Rng {
            state: mixer.next_u64(),
        }
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..bound`; `bound` must not be 0.
    pub fn below(&mut self, bound: usize) -> usize {
        let bound = u64::try_from(bound).expect("usize fits in u64");
        usize::try_from(self.next_u64() % bound).expect("below a usize bound")
    }

    /// A number in `low..=high`.
    pub fn range(&mut self, low: i64, high: i64) -> i64 {
        let span = high.abs_diff(low).wrapping_add(1);
        let offset = if span == 0 {
            self.next_u64()
        } else {
            self.next_u64() % span
        };
        low.wrapping_add_unsigned(offset)
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// True once in `n` times on average: for the rare invalid element of a generated input.
    pub fn one_in(&mut self, n: u64) -> bool {
        self.next_u64().is_multiple_of(n)
    }

    /// One element of `items`, which must not be empty.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }

    /// A float in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        // The top 53 bits fill an f64 mantissa exactly.
        let mantissa = (self.next_u64() >> 11) as f64;
        mantissa / (1u64 << 53) as f64
    }
}

#[cfg(test)]
mod tests {
    use super::Rng;

    #[test]
    fn a_seed_and_case_name_one_stream() {
        let first: Vec<u64> = (0..4).map(|_| Rng::for_case(7, 3).next_u64()).collect();
        assert!(first.windows(2).all(|pair| pair[0] == pair[1]));
        assert_ne!(
            Rng::for_case(7, 3).next_u64(),
            Rng::for_case(7, 4).next_u64()
        );
        assert_ne!(
            Rng::for_case(7, 3).next_u64(),
            Rng::for_case(8, 3).next_u64()
        );
    }

    #[test]
    fn range_stays_inside_its_bounds() {
        let mut rng = Rng::for_case(1, 1);
        for _ in 0..1000 {
            let n = rng.range(-3, 5);
            assert!((-3..=5).contains(&n));
        }
        let _ = rng.range(i64::MIN, i64::MAX);
    }
}
