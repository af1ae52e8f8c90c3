//! The `sprintlens` binary: parse, run, map the result to an exit code.

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    let cli = sprintlens::cli::Cli::parse();
    let result = cli
        .into_config()
        .and_then(|config| sprintlens::run(config, &mut std::io::stdout().lock()));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {}", sprintlens::error::cause_chain(&e));
            ExitCode::from(e.exit_code() as u8)
        }
    }
}
