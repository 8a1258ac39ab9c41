//! A tiny HTTP/1.1 client (keep-alive, JSON POST) over a tokio `TcpStream`, and the HTTP
//! request reader of the fake server.

use std::io;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::Target;

const MAX_HEAD: usize = 64 * 1024;

pub struct HttpClient {
    target: Target,
    stream: Option<TcpStream>,
    buf: Vec<u8>,
}

/// Reads more bytes into `buf`; `Ok(0)` at end of stream.
async fn fill(stream: &mut TcpStream, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut chunk = [0u8; 8192];
    let n = stream.read(&mut chunk).await?;
    buf.extend_from_slice(&chunk[..n]);
    Ok(n)
}

fn bad(msg: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, msg.into())
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

impl HttpClient {
    pub fn new(target: &Target) -> Self {
        Self {
            target: target.clone(),
            stream: None,
            buf: Vec::new(),
        }
    }

    /// POSTs a JSON body; returns the status and the body. Reconnects once if a kept-alive
    /// connection turns out closed.
    pub async fn post_json(&mut self, path: &str, body: &str) -> io::Result<(u16, Vec<u8>)> {
        let reused = self.stream.is_some();
        match self.try_post(path, body).await {
            Err(_) if reused => {
                self.stream = None;
                self.try_post(path, body).await
            }
            other => other,
        }
    }

    async fn try_post(&mut self, path: &str, body: &str) -> io::Result<(u16, Vec<u8>)> {
        self.send_once("POST", path, "", body).await
    }

    /// Whether a kept-alive connection is open (the next request reuses it).
    pub fn is_connected(&self) -> bool {
        self.stream.is_some()
    }

    /// One request, never retried (a load generator must count a failed request once, not
    /// send it twice): connects if needed, writes `method path` with `extra_headers` (each
    /// line ending in `\r\n`) and a JSON `body` (none when empty and the method is `GET`),
    /// reads the response. After an error the connection is dropped; the next call opens a
    /// new one.
    pub async fn send_once(
        &mut self,
        method: &str,
        path: &str,
        extra_headers: &str,
        body: &str,
    ) -> io::Result<(u16, Vec<u8>)> {
        if self.stream.is_none() {
            let s = TcpStream::connect(self.target.addr).await?;
            s.set_nodelay(true)?;
            self.stream = Some(s);
            self.buf.clear();
        }
        let mut request = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAccept: application/json\r\n{extra_headers}",
            self.target.host,
        );
        if !(body.is_empty() && method == "GET") {
            request.push_str(&format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n",
                body.len()
            ));
        }
        request.push_str("\r\n");
        request.push_str(body);
        let result = self.exchange(request.as_bytes()).await;
        if result.is_err() {
            self.stream = None;
        }
        result
    }

    async fn exchange(&mut self, request: &[u8]) -> io::Result<(u16, Vec<u8>)> {
        let stream = self.stream.as_mut().expect("connected");
        stream.write_all(request).await?;
        let buf = &mut self.buf;
        // Head.
        let (status, head_len, length, chunked, close) = loop {
            let mut headers = [httparse::EMPTY_HEADER; 64];
            let mut resp = httparse::Response::new(&mut headers);
            match resp.parse(buf).map_err(|e| bad(e.to_string()))? {
                httparse::Status::Complete(len) => {
                    let mut length = None;
                    let (mut chunked, mut close) = (false, false);
                    for h in resp.headers.iter() {
                        let v = String::from_utf8_lossy(h.value).to_ascii_lowercase();
                        if h.name.eq_ignore_ascii_case("content-length") {
                            length = Some(v.trim().parse::<usize>().map_err(|_| bad("length"))?);
                        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
                            chunked = v.contains("chunked");
                        } else if h.name.eq_ignore_ascii_case("connection") {
                            close = v.contains("close");
                        }
                    }
                    break (resp.code.unwrap_or(0), len, length, chunked, close);
                }
                httparse::Status::Partial => {
                    if buf.len() > MAX_HEAD {
                        return Err(bad("response head too large"));
                    }
                    if fill(stream, buf).await? == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                }
            }
        };
        buf.drain(..head_len);
        // Body.
        let body = if chunked {
            let mut body = Vec::new();
            loop {
                let line_end = loop {
                    if let Some(i) = find(buf, b"\r\n") {
                        break i;
                    }
                    if fill(stream, buf).await? == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                };
                let line = String::from_utf8_lossy(&buf[..line_end]).to_string();
                let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                    .map_err(|_| bad("chunk size"))?;
                buf.drain(..line_end + 2);
                if size == 0 {
                    // Trailers, up to the empty line.
                    loop {
                        if let Some(i) = find(buf, b"\r\n") {
                            buf.drain(..i + 2);
                            if i == 0 {
                                break;
                            }
                            continue;
                        }
                        if fill(stream, buf).await? == 0 {
                            break;
                        }
                    }
                    break body;
                }
                while buf.len() < size + 2 {
                    if fill(stream, buf).await? == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                }
                body.extend_from_slice(&buf[..size]);
                buf.drain(..size + 2);
            }
        } else if let Some(length) = length {
            while buf.len() < length {
                if fill(stream, buf).await? == 0 {
                    return Err(io::ErrorKind::UnexpectedEof.into());
                }
            }
            buf.drain(..length).collect()
        } else {
            while fill(stream, buf).await? > 0 {}
            self.stream = None;
            return Ok((status, std::mem::take(buf)));
        };
        if close {
            self.stream = None;
        }
        Ok((status, body))
    }
}

/// `POST /api/v1/auth/token/` → the access token.
pub async fn login(target: &Target, username: &str, password: &str) -> Result<String, String> {
    let body = serde_json::json!({ "username": username, "password": password }).to_string();
    let (status, body) = HttpClient::new(target)
        .post_json("/api/v1/auth/token/", &body)
        .await
        .map_err(|e| format!("login {username}: {e}"))?;
    if status != 200 {
        return Err(format!(
            "login {username}: HTTP {status} {}",
            String::from_utf8_lossy(&body)
        ));
    }
    let v: serde_json::Value =
        serde_json::from_slice(&body).map_err(|e| format!("login {username}: {e}"))?;
    v["access"]
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("login {username}: no access token in {v}"))
}

/// One request read by the fake server.
#[derive(Debug)]
pub struct Request {
    pub method: String,
    /// Path with its query string.
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Bytes read past this request (the start of the next one).
    pub rest: Vec<u8>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn path(&self) -> &str {
        self.target.split('?').next().unwrap_or("")
    }

    pub fn query(&self, key: &str) -> Option<&str> {
        let q = self.target.split_once('?')?.1;
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == key)
            .map(|(_, v)| v)
    }
}

/// Reads one request (head and `Content-Length` body); `None` at a clean end of stream.
pub async fn read_request(stream: &mut TcpStream, mut buf: Vec<u8>) -> io::Result<Option<Request>> {
    loop {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut headers);
        match req.parse(&buf).map_err(|e| bad(e.to_string()))? {
            httparse::Status::Complete(len) => {
                let headers: Vec<(String, String)> = req
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_string(),
                            String::from_utf8_lossy(h.value).trim().to_string(),
                        )
                    })
                    .collect();
                let method = req.method.unwrap_or("").to_string();
                let target = req.path.unwrap_or("").to_string();
                let length = headers
                    .iter()
                    .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
                    .and_then(|(_, v)| v.parse::<usize>().ok())
                    .unwrap_or(0);
                while buf.len() < len + length {
                    if fill(stream, &mut buf).await? == 0 {
                        return Err(io::ErrorKind::UnexpectedEof.into());
                    }
                }
                let rest = buf.split_off(len + length);
                let body = buf[len..].to_vec();
                return Ok(Some(Request {
                    method,
                    target,
                    headers,
                    body,
                    rest,
                }));
            }
            httparse::Status::Partial => {
                if buf.len() > MAX_HEAD {
                    return Err(bad("request head too large"));
                }
                if fill(stream, &mut buf).await? == 0 {
                    return if buf.is_empty() {
                        Ok(None)
                    } else {
                        Err(io::ErrorKind::UnexpectedEof.into())
                    };
                }
            }
        }
    }
}
