//! A stand-in for the alert receiver a security team runs: a loopback HTTP endpoint that
//! answers 200 to every request and keeps each body, so a rehearsal can see what `watch`
//! delivered.

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc::{Receiver, Sender, channel};

use crate::SimError;

/// A running receiver; it stops with the process.
pub struct AlertReceiver {
    url: String,
    bodies: Receiver<Vec<u8>>,
}

impl AlertReceiver {
    /// Listens on a free loopback port.
    pub fn start() -> Result<AlertReceiver, SimError> {
        let address = SocketAddr::from((Ipv4Addr::LOCALHOST, 0));
        let failed = |reason: std::io::Error| SimError::Listen {
            address,
            reason: reason.to_string(),
        };
        let listener = TcpListener::bind(address).map_err(failed)?;
        let port = listener.local_addr().map_err(failed)?.port();
        let (sender, bodies) = channel();
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let sender = sender.clone();
                std::thread::spawn(move || serve(stream, &sender));
            }
        });
        Ok(AlertReceiver {
            url: format!("http://127.0.0.1:{port}/alerts"),
            bodies,
        })
    }

    /// Where to send alerts.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The bodies received so far, oldest first.
    pub fn received(&self) -> Vec<Vec<u8>> {
        self.bodies.try_iter().collect()
    }
}

/// Answers every request of one connection (keep-alive) until it closes.
fn serve(stream: TcpStream, bodies: &Sender<Vec<u8>>) {
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    while let Some(length) = read_head(&mut reader) {
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).is_err() {
            return;
        }
        let _ = bodies.send(body);
        if writer
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")
            .is_err()
        {
            return;
        }
    }
}

/// Reads a request's head up to its blank line; the body's length, or `None` at the end.
fn read_head(reader: &mut BufReader<TcpStream>) -> Option<usize> {
    let mut length = 0;
    let mut line = String::new();
    loop {
        line.clear();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return None;
        }
        let trimmed = line.trim_end();
        if trimmed.is_empty() {
            return Some(length);
        }
        if let Some((name, value)) = trimmed.split_once(':')
            && name.eq_ignore_ascii_case("content-length")
        {
            length = value.trim().parse().unwrap_or(0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies_of_every_request_on_a_connection_are_kept() {
        let receiver = AlertReceiver::start().unwrap();
        let address = receiver
            .url()
            .trim_start_matches("http://")
            .trim_end_matches("/alerts");
        let mut stream = TcpStream::connect(address).unwrap();
        for body in ["{\"a\":1}", "{\"b\":2}"] {
            write!(
                stream,
                "POST /alerts HTTP/1.1\r\nHost: x\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            )
            .unwrap();
            let mut answer = [0u8; 38];
            stream.read_exact(&mut answer).unwrap();
            assert!(answer.starts_with(b"HTTP/1.1 200 OK"));
        }
        assert_eq!(
            receiver.received(),
            vec![b"{\"a\":1}".to_vec(), b"{\"b\":2}".to_vec()]
        );
    }
}
