//! `token add|list|revoke`: the server's access tokens (see [`crate::web::tokens`]); and
//! `source add|list|remove`: the poker tools that sign their round events
//! (see [`crate::web::sources`]).

use crate::commands::{Config, write};
use crate::error::Result;
use crate::present::table::{Format, Render, Table};
use crate::web::sources;
use crate::web::tokens::{self, Scope, Token};
use std::io::Write;

#[derive(Debug, Clone)]
pub enum TokenArgs {
    Add { name: String, scope: Scope },
    List,
    Revoke { name: String },
    AddSource { name: String },
    ListSources,
    RemoveSource { name: String },
}

/// The tokens as `token list` shows them: never a secret, nor its hash.
#[derive(serde::Serialize)]
struct TokenList {
    file: String,
    tokens: Vec<Listed>,
}

#[derive(serde::Serialize)]
struct Listed {
    name: String,
    scope: Scope,
    created: String,
}

impl Render for TokenList {
    fn tables(&self, format: Format) -> Result<String> {
        let mut t = Table::new(&["name", "scope", "created"], &[false, false, false]);
        for k in &self.tokens {
            t.row(vec![
                k.name.clone(),
                k.scope.name().into(),
                k.created.clone(),
            ]);
        }
        let mut s = t.render(format);
        if format == Format::Table && self.tokens.is_empty() {
            s.push_str(&format!(
                "no tokens in {} (add one: sprintlens token add NAME --scope read|room|ingest|admin)\n",
                self.file
            ));
        }
        Ok(s)
    }
}

fn list(
    path: &std::path::Path,
    tokens: Vec<Listed>,
    c: &Config,
    out: &mut dyn Write,
) -> Result<()> {
    TokenList {
        file: path.display().to_string(),
        tokens,
    }
    .write_to(c.format, c.json, out)
}

pub fn token(c: &Config, a: &TokenArgs, out: &mut dyn Write) -> Result<()> {
    match a {
        TokenArgs::Add { name, scope } => {
            let secret = tokens::add(&c.db, name, *scope)?;
            let _ = writeln!(
                std::io::stderr(),
                "token \"{name}\" ({}) added to {}; its secret follows, shown this once:",
                scope.name(),
                tokens::tokens_path(&c.db).display()
            );
            write(out, &format!("{secret}\n"))
        }
        TokenArgs::List => {
            let path = tokens::tokens_path(&c.db);
            let list = TokenList {
                file: path.display().to_string(),
                tokens: tokens::load(&path)?
                    .into_iter()
                    .map(
                        |Token {
                             name,
                             scope,
                             created,
                             ..
                         }| Listed {
                            name,
                            scope,
                            created,
                        },
                    )
                    .collect(),
            };
            list.write_to(c.format, c.json, out)
        }
        TokenArgs::Revoke { name } => {
            tokens::revoke(&c.db, name)?;
            write(out, &format!("token \"{name}\" revoked\n"))
        }
        TokenArgs::AddSource { name } => {
            let secret = sources::add(&c.db, name)?;
            let _ = writeln!(
                std::io::stderr(),
                "source \"{name}\" added to {}; its signing secret follows, shown this once \
                 (the tool sends X-Sprintlens-Source: {name} and X-Sprintlens-Signature: \
                 sha256=<hex of HMAC-SHA256 of the body with this secret>):",
                sources::sources_path(&c.db).display()
            );
            write(out, &format!("{secret}\n"))
        }
        TokenArgs::ListSources => {
            let path = sources::sources_path(&c.db);
            let listed = sources::load(&path)?.into_iter().map(|s| Listed {
                name: s.name,
                scope: Scope::Ingest,
                created: s.created,
            });
            list(&path, listed.collect(), c, out)
        }
        TokenArgs::RemoveSource { name } => {
            sources::remove(&c.db, name)?;
            write(out, &format!("source \"{name}\" removed\n"))
        }
    }
}
