//! Reading HTTP/1.1 responses off a raw socket, for tests that must see exactly what the
//! server sends (or that it sends nothing).

/// The status of the Content-Length framed response at the start of `bytes`, once all of it
/// has arrived (`None` until then); `Some(None)` when its status line does not parse.
pub fn framed_status(bytes: &[u8]) -> Option<Option<u16>> {
    let end = bytes.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&bytes[..end]).to_ascii_lowercase();
    let length: usize = head
        .lines()
        .find_map(|line| line.strip_prefix("content-length:"))
        .map_or(0, |value| value.trim().parse().unwrap());
    (bytes.len() >= end + 4 + length)
        .then(|| head.split_whitespace().nth(1).and_then(|s| s.parse().ok()))
}
