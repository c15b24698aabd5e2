//! Differential testing against the real upstream functions: the same request goes to the Go
//! function (built by `scripts/upstream`) and to our server running the bundled module that
//! replaces it, and the two responses must be equal.
//!
//! - [`upstream`] starts and stops the Go binaries;
//! - [`compare`] sends a request to both sides and lists the differences;
//! - [`rng`] is the seeded generator every random input comes from, [`values`] the data and
//!   field paths it draws, [`pt_gen`] whole patch-and-transform requests and [`auto_ready_gen`]
//!   auto-ready ones.
//!
//! - [`run`] sends many requests and reports every mismatch.
//!
//! `scripts/differential --seed N --cases M` runs the generated cases with another seed or count
//! (the variables `DIFFERENTIAL_SEED`, `DIFFERENTIAL_CASES`, `DIFFERENTIAL_CASE` and
//! `DIFFERENTIAL_REQUEST` it sets are read by [`Settings::from_env`]).

use std::path::PathBuf;

pub mod auto_ready_gen;
pub mod compare;
pub mod pt_gen;
pub mod rng;
pub mod run;
pub mod upstream;
pub mod values;

/// How many generated cases run, from which seed.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The run's seed; each case derives its own stream from it ([`rng::Rng::for_case`]).
    pub seed: u64,
    /// Cases `0..cases` run, unless [`Settings::only`] is set.
    pub cases: u64,
    /// Run only this case (to reproduce a mismatch).
    pub only: Option<u64>,
    /// Send this request (a protojson file, JSON or YAML) instead of generated ones.
    pub request: Option<PathBuf>,
}

impl Settings {
    /// `DIFFERENTIAL_SEED` (default [`rng::DEFAULT_SEED`]), `DIFFERENTIAL_CASES` (default
    /// `default_cases`), `DIFFERENTIAL_CASE` (default: all of them) and `DIFFERENTIAL_REQUEST`
    /// (default: none).
    ///
    /// # Panics
    ///
    /// When a variable is set but is not a whole number.
    pub fn from_env(default_cases: u64) -> Settings {
        Settings {
            seed: number("DIFFERENTIAL_SEED").unwrap_or(rng::DEFAULT_SEED),
            cases: number("DIFFERENTIAL_CASES").unwrap_or(default_cases),
            only: number("DIFFERENTIAL_CASE"),
            request: std::env::var_os("DIFFERENTIAL_REQUEST").map(PathBuf::from),
        }
    }

    /// The case numbers to run.
    pub fn case_numbers(&self) -> std::ops::Range<u64> {
        match self.only {
            Some(case) => case..case + 1,
            None => 0..self.cases,
        }
    }
}

fn number(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    Some(
        text.trim()
            .parse()
            .unwrap_or_else(|error| panic!("{name}={text:?} is not a whole number: {error}")),
    )
}
