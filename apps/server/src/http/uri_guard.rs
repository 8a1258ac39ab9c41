//! Overlong request targets, answered in JSON.
//!
//! actix-http parses the request line before any middleware runs, and a target it cannot hold
//! (the `http` crate stops at 64 KiB) gets an empty-bodied 400 from its codec. [`UriGuard`]
//! wraps each connection's byte stream: it follows the HTTP/1.1 message framing of the
//! requests (head, then `Content-Length` bytes of body) and, when a request line is longer
//! than [`MAX_REQUEST_LINE`], hands actix the same method with the target replaced by
//! [`URI_TOO_LONG_PATH`], dropping the rest of the line. The app answers that path with a JSON
//! 414 and closes the connection.
//!
//! Framing it does not follow (a chunked body, an upgrade, a malformed head) switches the
//! guard off for the rest of the connection: bytes then pass through untouched, as without it.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The longest request line (method, target, version) that reaches the app unchanged.
pub const MAX_REQUEST_LINE: usize = 16 * 1024;
/// Where a request with an overlong target is routed instead.
pub const URI_TOO_LONG_PATH: &str = "/__dx/uri-too-long";
/// Heads longer than this are left to actix (which answers 431 at 128 KiB).
const MAX_HEAD: usize = 128 * 1024;

#[derive(Debug)]
enum State {
    /// Collecting a request line (not yet handed on).
    Line(Vec<u8>),
    /// Dropping the rest of an overlong request line (holds the replacement line).
    Discarding(Vec<u8>),
    /// The rest of the head, handed on as it comes and kept to read its framing headers.
    Head(Vec<u8>),
    /// This many body bytes are left.
    Body(u64),
    /// Not following the framing any more.
    Off,
}

pub struct UriGuard<T> {
    io: T,
    state: State,
    /// Bytes ready for the reader.
    out: Vec<u8>,
    out_pos: usize,
}

impl<T> UriGuard<T> {
    pub fn new(io: T) -> Self {
        Self {
            io,
            state: State::Line(Vec::new()),
            out: Vec::new(),
            out_pos: 0,
        }
    }

    /// Runs `input` through the framing state machine into `out`.
    fn feed(&mut self, mut input: &[u8]) {
        while !input.is_empty() {
            match &mut self.state {
                State::Off => {
                    self.out.extend_from_slice(input);
                    return;
                }
                State::Body(left) => {
                    let n = usize::try_from(*left).map_or(input.len(), |l| l.min(input.len()));
                    self.out.extend_from_slice(&input[..n]);
                    *left -= n as u64;
                    if *left == 0 {
                        self.state = State::Line(Vec::new());
                    }
                    input = &input[n..];
                }
                State::Line(line) => {
                    // Empty lines before a request line are allowed (RFC 9112 §2.2).
                    if line.is_empty() && matches!(input[0], b'\r' | b'\n') {
                        self.out.push(input[0]);
                        input = &input[1..];
                        continue;
                    }
                    let room = MAX_REQUEST_LINE + 1 - line.len();
                    match input.iter().take(room).position(|b| *b == b'\n') {
                        Some(i) => {
                            line.extend_from_slice(&input[..=i]);
                            let line = std::mem::take(line);
                            self.out.extend_from_slice(&line);
                            self.state = State::Head(line);
                            input = &input[i + 1..];
                        }
                        None if input.len() < room => {
                            line.extend_from_slice(input);
                            return;
                        }
                        None => {
                            line.extend_from_slice(&input[..room]);
                            let replaced = replacement_line(line);
                            self.out.extend_from_slice(&replaced);
                            self.state = State::Discarding(replaced);
                            input = &input[room..];
                        }
                    }
                }
                State::Discarding(replaced) => match input.iter().position(|b| *b == b'\n') {
                    Some(i) => {
                        let mut head = std::mem::take(replaced);
                        head.extend_from_slice(b"\r\n");
                        self.out.extend_from_slice(b"\r\n");
                        self.state = State::Head(head);
                        input = &input[i + 1..];
                    }
                    None => return,
                },
                State::Head(head) => {
                    let start = head.len().saturating_sub(3);
                    let before = head.len();
                    head.extend_from_slice(input);
                    let end = find_head_end(&head[start..]).map(|e| start + e);
                    match end {
                        Some(end) => {
                            let used = end - before;
                            self.out.extend_from_slice(&input[..used]);
                            head.truncate(end);
                            self.state = framing_after(head);
                            input = &input[used..];
                        }
                        None => {
                            self.out.extend_from_slice(input);
                            if head.len() > MAX_HEAD {
                                self.state = State::Off;
                            }
                            return;
                        }
                    }
                }
            }
        }
    }
}

/// The method of an overlong request line with [`URI_TOO_LONG_PATH`] as its target (no line
/// end: the rest of the original line is dropped up to its own).
fn replacement_line(line: &[u8]) -> Vec<u8> {
    let method = line
        .split(|b| *b == b' ')
        .next()
        .filter(|m| !m.is_empty() && m.len() <= 16 && m.iter().all(u8::is_ascii_uppercase))
        .unwrap_or(b"GET");
    let mut out = method.to_vec();
    out.push(b' ');
    out.extend_from_slice(URI_TOO_LONG_PATH.as_bytes());
    out.extend_from_slice(b" HTTP/1.1");
    out
}

/// Index just past the blank line that ends a head (`\r\n\r\n` or `\n\n`).
fn find_head_end(bytes: &[u8]) -> Option<usize> {
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'\n' {
            if bytes.get(i + 1) == Some(&b'\n') {
                return Some(i + 2);
            }
            if bytes.get(i + 1) == Some(&b'\r') && bytes.get(i + 2) == Some(&b'\n') {
                return Some(i + 3);
            }
        }
        i += 1;
    }
    None
}

/// What follows a complete head: its `Content-Length` body, the next request, or (for
/// framing not followed here) nothing more to follow.
fn framing_after(head: &[u8]) -> State {
    let Ok(text) = std::str::from_utf8(head) else {
        return State::Off;
    };
    let mut lines = text.lines();
    let request_line = lines.next().unwrap_or("");
    if request_line.starts_with("CONNECT ") {
        return State::Off;
    }
    let mut length: Option<u64> = None;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            continue;
        };
        let name = name.trim();
        let value = value.trim();
        if name.eq_ignore_ascii_case("transfer-encoding") || name.eq_ignore_ascii_case("upgrade") {
            return State::Off;
        }
        if name.eq_ignore_ascii_case("content-length") {
            match (value.parse::<u64>(), length) {
                (Ok(v), None) => length = Some(v),
                (Ok(v), Some(l)) if v == l => {}
                _ => return State::Off,
            }
        }
    }
    match length {
        Some(n) if n > 0 => State::Body(n),
        _ => State::Line(Vec::new()),
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for UriGuard<T> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = &mut *self;
        loop {
            if this.out_pos < this.out.len() {
                let n = (this.out.len() - this.out_pos).min(buf.remaining());
                buf.put_slice(&this.out[this.out_pos..this.out_pos + n]);
                this.out_pos += n;
                if this.out_pos == this.out.len() {
                    this.out.clear();
                    this.out_pos = 0;
                }
                return Poll::Ready(Ok(()));
            }
            if matches!(this.state, State::Off) {
                return Pin::new(&mut this.io).poll_read(cx, buf);
            }
            let mut chunk = [0u8; 8192];
            let mut rb = ReadBuf::new(&mut chunk);
            match Pin::new(&mut this.io).poll_read(cx, &mut rb) {
                Poll::Ready(Ok(())) => {
                    let got = rb.filled();
                    if got.is_empty() {
                        // End of stream: hand on a partial request line as it is.
                        if let State::Line(line) = &mut this.state
                            && !line.is_empty()
                        {
                            let line = std::mem::take(line);
                            this.out.extend_from_slice(&line);
                            continue;
                        }
                        return Poll::Ready(Ok(()));
                    }
                    let got = got.to_vec();
                    this.feed(&got);
                }
                other => return other,
            }
        }
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for UriGuard<T> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` in pieces of `step` bytes and returns what the reader would get.
    fn run(input: &[u8], step: usize) -> Vec<u8> {
        let mut g = UriGuard::new(());
        for piece in input.chunks(step) {
            g.feed(piece);
        }
        g.out
    }

    #[test]
    fn ordinary_requests_pass_unchanged() {
        let two = b"POST /a/ HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello\
GET /b/ HTTP/1.1\r\nHost: x\r\n\r\n";
        for step in [1, 3, 7, 1000] {
            assert_eq!(run(two, step), two.to_vec(), "step {step}");
        }
    }

    #[test]
    fn an_overlong_target_is_replaced_on_any_request_of_the_connection() {
        let long = "a".repeat(70_000);
        let body = format!("x{long}");
        let input = format!(
            "POST /a/ HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}\
             GET /{long} HTTP/1.1\r\nHost: x\r\n\r\n",
            body.len()
        );
        let expected = format!(
            "POST /a/ HTTP/1.1\r\nContent-Length: {}\r\n\r\n{body}\
             GET {URI_TOO_LONG_PATH} HTTP/1.1\r\nHost: x\r\n\r\n",
            body.len()
        );
        for step in [1, 4096, 100_000] {
            let out = run(input.as_bytes(), step);
            assert_eq!(String::from_utf8(out).unwrap(), expected, "step {step}");
        }
    }

    #[test]
    fn framing_it_does_not_follow_turns_it_off() {
        let long = "a".repeat(20_000);
        let input = format!(
            "POST /a/ HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /{long} HTTP/1.1\r\n\r\n"
        );
        assert_eq!(run(input.as_bytes(), 1000), input.as_bytes());
    }
}
