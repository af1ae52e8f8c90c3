//! Developer tools, run from the same binary: the data generator ([`generate`]), the benches
//! with their printed tables ([`bench`]: ingest, metrics, import; [`loadbench`]: the server
//! under load; [`roombench`]: estimation rooms played at once; [`splitcheck`]: the split list against the generator's truth), and what they
//! share. The product's stages never import this module.

pub mod bench;
pub mod generate;
pub mod loadbench;
pub mod memory;
pub mod roombench;
pub mod splitcheck;
pub mod workdir;
