//! Which address a request comes from, for the login throttle: the TCP peer, unless the peer
//! is one of our reverse proxies (`DX_TRUSTED_PROXIES`), in which case `X-Forwarded-For`
//! names the client.

use actix_web::HttpRequest;
use ipnet::IpNet;
use std::net::IpAddr;

/// The reverse proxies whose `X-Forwarded-For` is believed; empty by default.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustedProxies(Vec<IpNet>);

impl TrustedProxies {
    /// Comma-separated CIDRs (`10.0.0.0/8`) or single addresses (`127.0.0.1`, `::1`); blank
    /// entries are ignored. The first entry that is neither is returned as the error.
    pub fn parse(list: &str) -> Result<Self, String> {
        let mut nets = Vec::new();
        for item in list.split(',').map(str::trim).filter(|s| !s.is_empty()) {
            let net = match item.parse::<IpNet>() {
                Ok(net) => net.trunc(),
                Err(_) => item
                    .parse::<IpAddr>()
                    .map(IpNet::from)
                    .map_err(|_| item.to_string())?,
            };
            nets.push(net);
        }
        Ok(Self(nets))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// The client address: `peer` itself unless it is trusted; then the right-most address of
    /// `forwarded` (the `X-Forwarded-For` values, in header order) that is not itself a
    /// trusted proxy. An entry that is not an address ends the walk at the last good hop.
    pub fn client(&self, peer: IpAddr, forwarded: &[&str]) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.contains(client) {
            return client;
        }
        let hops = forwarded
            .iter()
            .rev()
            .flat_map(|value| value.rsplit(',').map(str::trim));
        for hop in hops {
            let Some(ip) = parse_hop(hop) else {
                break;
            };
            client = ip.to_canonical();
            if !self.contains(client) {
                break;
            }
        }
        client
    }

    /// [`Self::client`] for a request (empty when the peer address is unknown).
    pub fn client_of(&self, req: &HttpRequest) -> String {
        let Some(peer) = req.peer_addr() else {
            return String::new();
        };
        if !self.contains(peer.ip()) {
            return peer.ip().to_canonical().to_string();
        }
        let values: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .collect();
        self.client(peer.ip(), &values).to_string()
    }
}

/// An address as proxies write it: `1.2.3.4`, `1.2.3.4:5678`, `2001:db8::1`, `[2001:db8::1]:80`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    if let Ok(ip) = hop.parse::<IpAddr>() {
        return Some(ip);
    }
    hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().expect("ip")
    }

    #[test]
    fn parses_cidrs_and_addresses() {
        let t = TrustedProxies::parse(" 10.0.0.0/8, ::1 ,,192.168.1.7").expect("parse");
        assert!(t.contains(ip("10.200.1.1")));
        assert!(t.contains(ip("::1")));
        assert!(t.contains(ip("192.168.1.7")));
        assert!(!t.contains(ip("192.168.1.8")));
        assert!(t.contains(ip("::ffff:10.1.2.3")), "IPv4-mapped peers count");
        assert!(TrustedProxies::parse("").expect("empty").is_empty());
        assert_eq!(
            TrustedProxies::parse("10.0.0.0/8,nope"),
            Err("nope".to_string())
        );
        assert!(TrustedProxies::parse("10.0.0.0/33").is_err());
    }

    #[test]
    fn forwarded_for_is_believed_only_from_trusted_peers() {
        let none = TrustedProxies::default();
        assert_eq!(none.client(ip("127.0.0.1"), &["9.9.9.9"]), ip("127.0.0.1"));
        let t = TrustedProxies::parse("127.0.0.0/8,10.0.0.0/8").expect("parse");
        // An untrusted peer's header is ignored.
        assert_eq!(t.client(ip("8.8.8.8"), &["9.9.9.9"]), ip("8.8.8.8"));
        // The right-most address that is not a trusted proxy; spoofed left entries lose.
        assert_eq!(
            t.client(ip("127.0.0.1"), &["6.6.6.6, 9.9.9.9, 10.0.0.2"]),
            ip("9.9.9.9")
        );
        assert_eq!(
            t.client(ip("127.0.0.1"), &["6.6.6.6", "9.9.9.9:4711"]),
            ip("9.9.9.9")
        );
        // Only proxies: the left-most one; no header: the peer; garbage ends the walk.
        assert_eq!(
            t.client(ip("127.0.0.1"), &["10.0.0.9, 10.0.0.2"]),
            ip("10.0.0.9")
        );
        assert_eq!(t.client(ip("127.0.0.1"), &[]), ip("127.0.0.1"));
        assert_eq!(
            t.client(ip("127.0.0.1"), &["9.9.9.9, junk, 10.0.0.2"]),
            ip("10.0.0.2")
        );
    }
}
