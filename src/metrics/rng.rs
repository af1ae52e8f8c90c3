//! The one random generator of sprintlens: SplitMix64, small, fast and fixed forever (unlike a
//! library's default generator), so the same seed gives the same forecast and the same
//! generated data on every machine and every version of every dependency.

/// SplitMix64: small, fast, and fixed forever (unlike a library's default generator).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x5851_F42D_4C95_7F2D)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in lo..=hi.
    pub fn range(&mut self, lo: i64, hi: i64) -> i64 {
        lo + (self.next_u64() % ((hi - lo + 1) as u64)) as i64
    }
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    /// Standard normal (Box-Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.unit().max(1e-12);
        let u2 = self.unit();
        (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos()
    }
    /// Uniform in 0..n, the same value as `range(0, n - 1)` without a division.
    pub fn below(&mut self, n: &Modulus) -> usize {
        n.of(self.next_u64()) as usize
    }
    pub fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[self.range(0, xs.len() as i64 - 1) as usize]
    }
}

/// `x % d` for one divisor and many `x`, by multiplication (Lemire, Kaser and Kurz, "Faster
/// remainder by direct computation", 2019: with M = ceil(2^128 / d), x % d is the high 64 bits
/// of (M * x mod 2^128) * d). Exact for every u64 `x` and `d >= 1`.
#[derive(Debug, Clone, Copy)]
pub struct Modulus {
    d: u64,
    m: u128,
}

impl Modulus {
    pub fn new(d: u64) -> Modulus {
        assert!(d > 0, "a modulus is at least 1");
        Modulus {
            d,
            // For d = 1 every remainder is 0: M = 0 gives it.
            m: if d == 1 {
                0
            } else {
                u128::MAX / u128::from(d) + 1
            },
        }
    }
    pub fn of(&self, x: u64) -> u64 {
        let low = self.m.wrapping_mul(u128::from(x));
        let d = u128::from(self.d);
        // The high 64 bits of the 192-bit product low * d.
        (((low >> 64) * d + (((low & u128::from(u64::MAX)) * d) >> 64)) >> 64) as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_fixed() {
        let mut r = Rng::new(1);
        let a = r.next_u64();
        let b = r.next_u64();
        let mut r2 = Rng::new(1);
        assert_eq!((a, b), (r2.next_u64(), r2.next_u64()));
        assert_ne!(a, b);
        let u = Rng::new(7).unit();
        assert!((0.0..1.0).contains(&u));
    }

    #[test]
    fn modulus_equals_the_remainder() {
        let mut r = Rng::new(3);
        let divisors = [
            1,
            2,
            3,
            7,
            10,
            16,
            1000,
            1 << 32,
            (1 << 32) + 1,
            u64::MAX - 1,
            u64::MAX,
        ];
        for d in divisors {
            let m = Modulus::new(d);
            for x in [0, 1, d - 1, d, d.wrapping_add(1), u64::MAX, u64::MAX - 1] {
                assert_eq!(m.of(x), x % d, "{x} % {d}");
            }
            for _ in 0..10_000 {
                let x = r.next_u64();
                assert_eq!(m.of(x), x % d, "{x} % {d}");
            }
        }
        let (mut a, mut b) = (Rng::new(9), Rng::new(9));
        let ten = Modulus::new(10);
        for _ in 0..1000 {
            assert_eq!(a.below(&ten) as i64, b.range(0, 9));
        }
    }
}
