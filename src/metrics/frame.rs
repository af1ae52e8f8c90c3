//! Reading query results (Polars frames from the store) into plain Rust columns.

use crate::error::{Error, Result};
use polars::prelude::*;

fn cast(df: &DataFrame, name: &str, to: &DataType) -> Result<Series> {
    let ctx = format!("reading column {name}");
    let col = df.column(name).map_err(Error::frame(ctx.clone()))?;
    col.as_materialized_series()
        .cast(to)
        .map_err(Error::frame(ctx))
}

pub fn strings(df: &DataFrame, name: &str) -> Result<Vec<Option<String>>> {
    let s = cast(df, name, &DataType::String)?;
    let ca = s
        .str()
        .map_err(Error::frame(format!("reading column {name}")))?;
    Ok(ca.iter().map(|v| v.map(str::to_string)).collect())
}

pub fn floats(df: &DataFrame, name: &str) -> Result<Vec<Option<f64>>> {
    let s = cast(df, name, &DataType::Float64)?;
    let ca = s
        .f64()
        .map_err(Error::frame(format!("reading column {name}")))?;
    Ok(ca.iter().collect())
}

pub fn ints(df: &DataFrame, name: &str) -> Result<Vec<Option<i64>>> {
    let s = cast(df, name, &DataType::Int64)?;
    let ca = s
        .i64()
        .map_err(Error::frame(format!("reading column {name}")))?;
    Ok(ca.iter().collect())
}

pub fn bools(df: &DataFrame, name: &str) -> Result<Vec<Option<bool>>> {
    let s = cast(df, name, &DataType::Boolean)?;
    let ca = s
        .bool()
        .map_err(Error::frame(format!("reading column {name}")))?;
    Ok(ca.iter().collect())
}

/// A text column as one contiguous chunk, to borrow `&str` cells from without copying.
pub fn text_column(df: &DataFrame, name: &str) -> Result<StringChunked> {
    let s = cast(df, name, &DataType::String)?;
    let ca = s
        .str()
        .map_err(Error::frame(format!("reading column {name}")))?;
    Ok(ca.rechunk().into_owned())
}

/// The cells of a text column, borrowed.
pub fn text_cells(ca: &StringChunked) -> Vec<Option<&str>> {
    ca.iter().collect()
}
