//! Trace ids: read from `X-Amzn-Trace-Id` (X-Ray) or W3C `traceparent`, or generated, and
//! forwarded to integrations in both forms so either kind of tracer downstream can join the trace.
//!
//! An X-Ray root `1-5759e988-bd862e3fe1be46a994272793` and a W3C trace id
//! `5759e988bd862e3fe1be46a994272793` are the same 128 bits; the X-Ray form puts the epoch second
//! in the first 32. Headers come from clients, so parsing is strict and never panics: anything
//! malformed is ignored and a fresh trace starts.

/// A trace as it passes through the gateway.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceContext {
    pub trace_id: u128,
    /// The caller's span, if it sent one.
    pub parent: Option<u64>,
    pub sampled: Option<bool>,
}

impl TraceContext {
    /// Prefers `X-Amzn-Trace-Id`, as API Gateway does, then `traceparent`.
    pub fn from_headers(amzn: Option<&[u8]>, traceparent: Option<&[u8]>) -> Option<TraceContext> {
        amzn.and_then(|v| std::str::from_utf8(v).ok())
            .and_then(parse_xray)
            .or_else(|| {
                traceparent
                    .and_then(|v| std::str::from_utf8(v).ok())
                    .and_then(parse_traceparent)
            })
    }

    /// A new trace in X-Ray's format: the first 32 bits are the epoch second.
    pub fn generate(epoch_seconds: u64) -> TraceContext {
        let random = u128::from(fastrand::u64(..)) << 32 | u128::from(fastrand::u32(..));
        let time = u128::from(epoch_seconds as u32) << 96;
        TraceContext {
            trace_id: time | (random & ((1u128 << 96) - 1)),
            parent: None,
            sampled: None,
        }
    }

    /// `1-xxxxxxxx-yyyyyyyyyyyyyyyyyyyyyyyy`, the value of `$context.xrayTraceId`.
    pub fn xray_root(&self) -> String {
        let mut buf = [0u8; 35];
        self.write_root(&mut buf);
        ascii(&buf)
    }

    fn write_root(&self, out: &mut [u8; 35]) {
        let mut hex = [0u8; 32];
        write_hex(&mut hex, &self.trace_id.to_be_bytes());
        out[..2].copy_from_slice(b"1-");
        out[2..10].copy_from_slice(&hex[..8]);
        out[10] = b'-';
        out[11..].copy_from_slice(&hex[8..]);
    }

    /// The `X-Amzn-Trace-Id` value to send downstream, with `span` as the parent. Written into a
    /// stack buffer: this runs on every proxied request.
    pub fn xray_header(&self, span: u64) -> String {
        // "Root=" 35 ";Parent=" 16 ";Sampled=x"
        let mut buf = [0u8; 5 + 35 + 8 + 16 + 10];
        buf[..5].copy_from_slice(b"Root=");
        let mut root = [0u8; 35];
        self.write_root(&mut root);
        buf[5..40].copy_from_slice(&root);
        buf[40..48].copy_from_slice(b";Parent=");
        write_hex(&mut buf[48..64], &span.to_be_bytes());
        let len = match self.sampled {
            Some(sampled) => {
                buf[64..73].copy_from_slice(b";Sampled=");
                buf[73] = if sampled { b'1' } else { b'0' };
                74
            }
            None => 64,
        };
        // `len` is 64 or 74, within the buffer.
        ascii(buf.get(..len).unwrap_or_default())
    }

    /// The W3C `traceparent` value to send downstream, with `span` as the parent.
    pub fn traceparent(&self, span: u64) -> String {
        let mut buf = [0u8; 55];
        buf[..3].copy_from_slice(b"00-");
        write_hex(&mut buf[3..35], &self.trace_id.to_be_bytes());
        buf[35] = b'-';
        write_hex(&mut buf[36..52], &span.to_be_bytes());
        buf[52..].copy_from_slice(if self.sampled == Some(true) {
            b"-01"
        } else {
            b"-00"
        });
        ascii(&buf)
    }
}

/// Lower-case hex of `bytes` into `out` (which is twice as long).
fn write_hex(out: &mut [u8], bytes: &[u8]) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    // A nibble is below 16, the table's length: `get` never misses.
    let digit = |n: u8| DIGITS.get(usize::from(n)).copied().unwrap_or(b'0');
    for (pair, b) in out.chunks_exact_mut(2).zip(bytes) {
        if let [hi, lo] = pair {
            *hi = digit(b >> 4);
            *lo = digit(b & 0xf);
        }
    }
}

/// The buffers above hold only ASCII hex digits and punctuation. `from_utf8` checks ASCII a word
/// at a time; `from_utf8_lossy` walks it byte by byte (~1k instructions a call under callgrind).
fn ascii(bytes: &[u8]) -> String {
    std::str::from_utf8(bytes)
        .map(str::to_owned)
        .unwrap_or_default()
}

/// A fresh span id for the gateway's hop (never zero, which W3C forbids).
pub fn new_span_id() -> u64 {
    fastrand::u64(1..)
}

fn hex_exact<const N: usize>(s: &str) -> Option<u128> {
    if s.len() != N || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    u128::from_str_radix(s, 16).ok()
}

fn parse_xray(value: &str) -> Option<TraceContext> {
    let mut root = None;
    let mut parent = None;
    let mut sampled = None;
    for field in value.split(';') {
        let (key, val) = field.trim().split_once('=')?;
        match key {
            "Root" => {
                let mut parts = val.split('-');
                let (Some("1"), Some(time), Some(id), None) =
                    (parts.next(), parts.next(), parts.next(), parts.next())
                else {
                    return None;
                };
                let time = hex_exact::<8>(time)?;
                let id = hex_exact::<24>(id)?;
                root = Some(time << 96 | id);
            }
            "Parent" => parent = Some(hex_exact::<16>(val)? as u64),
            "Sampled" => {
                sampled = match val {
                    "1" => Some(true),
                    "0" => Some(false),
                    _ => None,
                }
            }
            _ => {}
        }
    }
    Some(TraceContext {
        trace_id: root.filter(|r| *r != 0)?,
        parent,
        sampled,
    })
}

fn parse_traceparent(value: &str) -> Option<TraceContext> {
    let mut parts = value.trim().split('-');
    let (Some(version), Some(id), Some(parent), Some(flags)) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    // Version 00 has exactly four fields; future versions may append more.
    if version == "ff"
        || hex_exact::<2>(version).is_none()
        || (version == "00" && parts.next().is_some())
    {
        return None;
    }
    let trace_id = hex_exact::<32>(id).filter(|v| *v != 0)?;
    let parent = hex_exact::<16>(parent).filter(|v| *v != 0)? as u64;
    let flags = hex_exact::<2>(flags)? as u8;
    Some(TraceContext {
        trace_id,
        parent: Some(parent),
        sampled: Some(flags & 1 == 1),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn xray_round_trip() {
        let t = TraceContext::from_headers(
            Some(b"Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"),
            None,
        )
        .unwrap();
        assert_eq!(t.xray_root(), "1-5759e988-bd862e3fe1be46a994272793");
        assert_eq!(t.parent, Some(0x5399_5c3f_42cd_8ad8));
        assert_eq!(t.sampled, Some(true));
        assert_eq!(
            t.xray_header(1),
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000001;Sampled=1"
        );
        assert_eq!(
            t.traceparent(1),
            "00-5759e988bd862e3fe1be46a994272793-0000000000000001-01"
        );
    }

    #[test]
    fn traceparent_is_used_when_xray_is_absent_or_bad() {
        let tp = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        for amzn in [None, Some(&b"Root=garbage"[..])] {
            let t = TraceContext::from_headers(amzn, Some(tp)).unwrap();
            assert_eq!(t.trace_id, 0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736);
            assert_eq!(t.xray_root(), "1-4bf92f35-77b34da6a3ce929d0e0e4736");
        }
    }

    #[test]
    fn malformed_headers_are_ignored() {
        for bad in [
            &b""[..],
            b"Root=1-5759e988-bd862e3f",
            b"Root=2-5759e988-bd862e3fe1be46a994272793",
            b"Root=1-5759e98g-bd862e3fe1be46a994272793",
            b"Root=1-00000000-000000000000000000000000",
            b"Sampled=1",
            b"\xff\xfe",
        ] {
            assert_eq!(TraceContext::from_headers(Some(bad), None), None, "{bad:?}");
        }
        for bad in [
            &b"00-00000000000000000000000000000000-00f067aa0ba902b7-01"[..],
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            b"ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
            b"00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        ] {
            assert_eq!(TraceContext::from_headers(None, Some(bad)), None, "{bad:?}");
        }
    }

    #[test]
    fn generated_traces_carry_the_time() {
        let t = TraceContext::generate(0x5759_e988);
        assert!(t.xray_root().starts_with("1-5759e988-"));
        assert_ne!(new_span_id(), 0);
    }

    proptest! {
        #[test]
        fn parsing_never_panics(a in proptest::collection::vec(any::<u8>(), 0..80), b in ".{0,80}") {
            let _ = TraceContext::from_headers(Some(&a), Some(b.as_bytes()));
            let _ = TraceContext::from_headers(Some(b.as_bytes()), Some(&a));
        }

        #[test]
        fn generated_headers_parse_back(id in 1u128.., span in 1u64.., sampled in any::<bool>()) {
            let t = TraceContext { trace_id: id, parent: None, sampled: Some(sampled) };
            let back = TraceContext::from_headers(Some(t.xray_header(span).as_bytes()), None).unwrap();
            prop_assert_eq!(back.trace_id, id);
            prop_assert_eq!(back.parent, Some(span));
            let w3c = TraceContext::from_headers(None, Some(t.traceparent(span).as_bytes())).unwrap();
            prop_assert_eq!(w3c.trace_id, id);
            prop_assert_eq!(w3c.sampled, Some(sampled));
        }
    }
}
