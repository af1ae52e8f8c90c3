//! `generate` and `bench`: the developer tools, run from the same binary.

use crate::commands::{Config, write};
use crate::devtools::bench::{self, BenchSpec};
use crate::devtools::generate::{GenParams, generate as run_generate};
use crate::devtools::loadbench;
use crate::error::Result;
use crate::present::fmt::count;
use crate::present::table::Render;
use crate::settings::Settings;
use std::io::Write;
use std::path::PathBuf;

#[derive(Debug, Clone)]
pub struct GenerateArgs {
    pub params: GenParams,
    pub out: PathBuf,
    pub truth: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub enum BenchArgs {
    Metrics(BenchSpec),
    Ingest(BenchSpec),
    Serve(BenchSpec),
    Room(crate::devtools::roombench::RoomBenchSpec),
    Splits(crate::devtools::splitcheck::SplitCheckSpec),
    Import {
        rows: usize,
        seed: u64,
        dir: Option<PathBuf>,
        keep: bool,
    },
}

pub fn generate(a: &GenerateArgs, out: &mut dyn Write) -> Result<()> {
    let s = run_generate(&a.params, &a.out)?;
    if let Some(t) = &a.truth {
        crate::devtools::generate::write_truth(t, &s.truth)?;
    }
    write(
        out,
        &format!(
            "wrote {} teams, {} sprints, {} stories, {} votes, {} sprint items to {}\n",
            s.teams,
            s.sprints,
            s.stories,
            count(s.votes as i64),
            s.sprint_items,
            a.out.display()
        ),
    )
}

pub fn bench(c: &Config, a: &BenchArgs, out: &mut dyn Write) -> Result<()> {
    match a {
        BenchArgs::Metrics(b) => bench::metrics(b)?.write_to(c.format, c.json, out),
        BenchArgs::Ingest(b) => bench::ingest(b)?.write_to(c.format, c.json, out),
        BenchArgs::Serve(b) => loadbench::serve(b)?.write_to(c.format, c.json, out),
        BenchArgs::Room(b) => crate::devtools::roombench::room(b)?.write_to(c.format, c.json, out),
        BenchArgs::Splits(b) => {
            // The defaults unless a settings file is named: one beside a database is not read.
            let file = c.settings_path.as_deref();
            let settings = match file {
                Some(_) => c.settings()?,
                None => Settings::default(),
            };
            crate::devtools::splitcheck::check(b, &settings, file)?.write_to(c.format, c.json, out)
        }
        BenchArgs::Import {
            rows,
            seed,
            dir,
            keep,
        } => bench::import(*rows, *seed, dir, *keep)?.write_to(c.format, c.json, out),
    }
}
