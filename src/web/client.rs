//! A small HTTP/1.1 client over a plain socket, for a CLI ingest sent to a running server and
//! for the serve bench (the server speaks plain HTTP; put TLS in front of it when it leaves
//! the machine).

use crate::error::{Error, Result};
use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::time::Duration;

/// One HTTP/1.1 request on a fresh connection; the status and the body of the answer.
pub fn request(
    url: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    timeout: Duration,
) -> Result<(u16, Vec<u8>)> {
    let bad = |m: String| Error::Usage(format!("--server {url}: {m}"));
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        bad("expected http://HOST:PORT (for https, reach the server through its own host or a tunnel)".into())
    })?;
    let (host, prefix) = match rest.find('/') {
        Some(i) => (&rest[..i], rest[i..].trim_end_matches('/')),
        None => (rest, ""),
    };
    let hostport = if host.contains(':') && !host.ends_with(']') {
        host.to_string()
    } else {
        format!("{host}:80")
    };
    let addr = hostport
        .to_socket_addrs()
        .map_err(|e| bad(format!("cannot resolve the host: {e}")))?
        .next()
        .ok_or_else(|| bad("the host has no address".into()))?;
    let unreachable = |e: std::io::Error| Error::Store {
        path: url.into(),
        message: format!("cannot reach the server: {e}"),
    };
    let mut s = TcpStream::connect_timeout(&addr, Duration::from_secs(5)).map_err(unreachable)?;
    s.set_read_timeout(Some(timeout)).map_err(unreachable)?;
    s.set_write_timeout(Some(timeout)).map_err(unreachable)?;
    let mut head = format!(
        "{method} {prefix}{path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    s.write_all(head.as_bytes()).map_err(unreachable)?;
    // A server that refuses early (401, 413) may close before the whole body is sent; its
    // answer is still read.
    let sent = s.write_all(body);
    let mut answer = Vec::new();
    let read = s.read_to_end(&mut answer);
    if answer.is_empty() {
        sent.and(read.map(|_| ())).map_err(unreachable)?;
    }
    parse_response(&answer).ok_or_else(|| Error::Store {
        path: url.into(),
        message: "the server's answer is not HTTP".into(),
    })
}

/// Status and body of an HTTP/1.1 answer (length-delimited, chunked, or up to the close).
fn parse_response(raw: &[u8]) -> Option<(u16, Vec<u8>)> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let status: u16 = head.split_whitespace().nth(1)?.parse().ok()?;
    let body = &raw[end + 4..];
    let chunked = head.lines().any(|l| {
        let l = l.to_ascii_lowercase();
        l.starts_with("transfer-encoding:") && l.contains("chunked")
    });
    if !chunked {
        return Some((status, body.to_vec()));
    }
    let mut out = Vec::new();
    let mut rest = body;
    loop {
        let line_end = rest.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&rest[..line_end]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        rest = &rest[line_end + 2..];
        if size == 0 {
            return Some((status, out));
        }
        out.extend_from_slice(rest.get(..size)?);
        rest = rest.get(size + 2..)?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_read_whole_or_chunked() {
        let plain = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok";
        assert_eq!(parse_response(plain), Some((200, b"ok".to_vec())));
        let chunked =
            b"HTTP/1.1 400 Bad Request\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n";
        assert_eq!(parse_response(chunked), Some((400, b"abcde".to_vec())));
        assert_eq!(parse_response(b"garbage"), None);
    }

    #[test]
    fn only_plain_http_addresses_are_taken() {
        let e = request("https://x", "GET", "/", &[], &[], Duration::from_secs(1)).unwrap_err();
        assert!(e.to_string().contains("expected http://"), "{e}");
    }
}
