//! A streaming JSON reader for the one shape a heap snapshot has: a top-level object whose
//! large members are flat arrays of unsigned integers or of strings.
//!
//! It never holds the whole file: bytes flow through one reused buffer, and the reader keeps
//! the absolute byte offset so every error can say where it happened.

use crate::error::{Error, ErrorKind, Result};
use std::io::{Read, Seek, SeekFrom};

const BUFFER: usize = 1 << 20;
/// Deepest nesting accepted in generic values (the `snapshot` header nests 4 deep).
const MAX_DEPTH: usize = 64;

/// A small JSON value, for the `snapshot` header only.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Number(f64),
    String(String),
    Array(Vec<Value>),
    Object(Vec<(String, Value)>),
}

impl Value {
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Object(members) => members.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) if *n >= 0.0 && n.fract() == 0.0 && *n < 2f64.powi(53) => Some(*n as u64),
            _ => None,
        }
    }
}

pub struct JsonReader<'p, R> {
    src: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Absolute file offset of `buf[0]`.
    base: u64,
    eof: bool,
    progress: Option<&'p mut dyn FnMut(u64)>,
    /// Whether the processor has what the wide paths need ([`wide_available`]): whole blocks of
    /// integers ([`wide_blocks`]) and strings' plain runs ([`wide_plain_run`]) read 64 bytes at
    /// a time. (Tests turn it off to compare.)
    wide: bool,
}

impl<'p, R: Read> JsonReader<'p, R> {
    /// A reader from the source's start (see [`JsonReader::jump`] for any other offset).
    pub fn new(src: R, progress: Option<&'p mut dyn FnMut(u64)>) -> Self {
        JsonReader { src, buf: vec![0; BUFFER].into_boxed_slice(), pos: 0, end: 0, base: 0, eof: false, progress, wide: wide_available() }
    }

    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Makes at least `n` bytes available after `pos`, unless the input ends first.
    #[inline]
    fn ensure(&mut self, n: usize) -> Result<bool> {
        if self.end - self.pos >= n {
            return Ok(true);
        }
        self.refill(n)
    }

    /// Continues at offset `to` of the source, dropping what the buffer holds.
    pub fn jump(&mut self, to: u64) -> Result<()>
    where
        R: Seek,
    {
        self.src.seek(SeekFrom::Start(to)).map_err(|e| Error::at(ErrorKind::Io, to, format!("seek failed: {e}")))?;
        (self.base, self.pos, self.end, self.eof) = (to, 0, 0, false);
        Ok(())
    }

    #[cold]
    fn refill(&mut self, n: usize) -> Result<bool> {
        self.buf.copy_within(self.pos..self.end, 0);
        self.base += self.pos as u64;
        self.end -= self.pos;
        self.pos = 0;
        // Everything before `base` is parsed: report that (not what is read ahead).
        if let Some(p) = self.progress.as_mut() {
            p(self.base);
        }
        while self.end < n && !self.eof {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(Error::at(ErrorKind::Io, self.base + self.end as u64, format!("read failed: {e}"))),
            }
        }
        Ok(self.end - self.pos >= n)
    }

    #[inline]
    pub fn peek(&mut self) -> Result<Option<u8>> {
        if self.pos < self.end || self.ensure(1)? {
            Ok(Some(self.buf[self.pos]))
        } else {
            Ok(None)
        }
    }

    #[inline]
    pub fn skip_ws(&mut self) -> Result<()> {
        loop {
            while self.pos < self.end {
                match self.buf[self.pos] {
                    b' ' | b'\n' | b'\r' | b'\t' => self.pos += 1,
                    _ => return Ok(()),
                }
            }
            if !self.ensure(1)? {
                return Ok(());
            }
        }
    }

    /// An error saying what was expected at the current position and what stands there.
    pub fn unexpected(&mut self, expected: &str) -> Error {
        let found = match self.peek() {
            Ok(Some(b)) if b.is_ascii_graphic() => format!("'{}'", b as char),
            Ok(Some(b)) => format!("byte 0x{b:02x}"),
            Ok(None) => "end of file (truncated?)".to_string(),
            Err(e) => return e,
        };
        Error::at(ErrorKind::Syntax, self.offset(), format!("expected {expected}, found {found}"))
    }

    pub fn expect(&mut self, byte: u8, expected: &str) -> Result<()> {
        self.skip_ws()?;
        if self.peek()? == Some(byte) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.unexpected(expected))
        }
    }

    /// After a member or element: consumes `,` and returns true, or consumes `close` and
    /// returns false.
    pub fn comma_or(&mut self, close: u8, expected: &str) -> Result<bool> {
        self.skip_ws()?;
        match self.peek()? {
            Some(b',') => {
                self.pos += 1;
                Ok(true)
            }
            Some(b) if b == close => {
                self.pos += 1;
                Ok(false)
            }
            _ => Err(self.unexpected(expected)),
        }
    }

    /// Reads a non-negative integer.
    #[inline]
    pub fn uint(&mut self) -> Result<u64> {
        self.skip_ws()?;
        // 21 bytes hold any u64 and the byte after it; near the end of input fewer is fine.
        self.ensure(21)?;
        let start = self.pos;
        let mut value: u64 = 0;
        let mut i = self.pos;
        // 19 digits always fit in a u64: no overflow checks for them.
        let unchecked_end = self.end.min(start + 19);
        while i < unchecked_end {
            let d = self.buf[i].wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            value = value * 10 + d as u64;
            i += 1;
        }
        while i < self.end {
            let d = self.buf[i].wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            value = match value.checked_mul(10).and_then(|v| v.checked_add(d as u64)) {
                Some(v) => v,
                None => return Err(Error::at(ErrorKind::Format, self.base + start as u64, "expected an integer below 2^64")),
            };
            i += 1;
        }
        if i == start {
            return Err(self.unexpected("a non-negative integer"));
        }
        if i < self.end && matches!(self.buf[i], b'.' | b'e' | b'E') {
            self.pos = i;
            return Err(self.unexpected("an integer (no fraction or exponent)"));
        }
        self.pos = i;
        Ok(value)
    }

    /// Reads `[u, u, ...]`, handing each integer and its offset to `f`. Returns the count.
    pub fn uint_array(&mut self, mut f: impl FnMut(u64, u64) -> Result<()>) -> Result<u64> {
        self.uint_records(1, |values, offsets| f(values[0], offsets[0]))
    }

    /// Reads `[u, u, ...]` as records of `width` integers, handing each whole record (its
    /// values and their offsets) to `f`: one call per record, not per value. Returns the
    /// count of values, a last partial record's included.
    pub fn uint_records(&mut self, width: usize, mut f: impl FnMut(&[u64], &[u64]) -> Result<()>) -> Result<u64> {
        self.uint_chunks(width, |values, offsets| {
            values.chunks_exact(width).zip(offsets.chunks_exact(width)).try_for_each(|(v, o)| f(v, o))
        })
    }

    /// [`JsonReader::uint_records`], handing `f` the records a chunk at a time (see
    /// [`JsonReader::listed_chunks`]).
    pub fn uint_chunks(&mut self, width: usize, f: impl FnMut(&[u64], &[u64]) -> Result<()>) -> Result<u64> {
        self.expect(b'[', "'[' opening an array of integers")?;
        self.skip_ws()?;
        if self.peek()? == Some(b']') {
            self.pos += 1;
            return Ok(0);
        }
        self.listed_chunks(width, u64::MAX, f)
    }

    /// Reads the values of an array of integers from one of them on (after its `[` or a `,`):
    /// up to the `]`, or until the reader is at or past the offset `stop` before a value (where
    /// another reader takes over). `f` gets the whole records read, a few thousand values at a
    /// time: their values and offsets, `width` per record (a partial record at the end is
    /// not handed over, but counted). Returns the count of values. The records read before an
    /// error of the reader reach `f` first, so that an error of theirs, earlier in the text,
    /// is the one returned.
    pub fn listed_chunks(&mut self, width: usize, stop: u64, mut f: impl FnMut(&[u64], &[u64]) -> Result<()>) -> Result<u64> {
        // Room for a chunk, a block's values (at most 32) and one more.
        let mut values = vec![0u64; CHUNK + 64];
        let mut offsets = vec![0u64; CHUNK + 64];
        let mut held = 0;
        let mut count = 0u64;
        let read = self.read_chunks(width, stop, &mut values, &mut offsets, &mut held, &mut count, &mut f);
        let whole = held / width * width;
        if whole > 0 {
            f(&values[..whole], &offsets[..whole])?;
        }
        read.map(|()| count)
    }

    /// The reading behind [`JsonReader::listed_chunks`]: values wait in `values` and `offsets`
    /// (`held` of them, kept up to date for an error's return) until a chunk is full, and then
    /// its whole records go to `f`.
    #[allow(clippy::too_many_arguments)]
    fn read_chunks(
        &mut self,
        width: usize,
        stop: u64,
        values: &mut [u64],
        offsets: &mut [u64],
        held: &mut usize,
        count: &mut u64,
        f: &mut impl FnMut(&[u64], &[u64]) -> Result<()>,
    ) -> Result<()> {
        // The block fast path stores unchecked: room for a chunk and one more block's values.
        assert!(values.len() >= CHUNK + 64 && offsets.len() >= CHUNK + 64, "room for a chunk and a block");
        let mut m = *held;
        loop {
            if m >= CHUNK {
                let whole = m / width * width;
                // Handed over, even if refused: not again by the caller.
                *held = 0;
                f(&values[..whole], &offsets[..whole])?;
                values.copy_within(whole..m, 0);
                offsets.copy_within(whole..m, 0);
                m -= whole;
            }
            let mut limit = usize::try_from(stop.saturating_sub(self.base)).unwrap_or(usize::MAX);
            // Fast path for V8's layout ("n,n,n\n,n,…"), read 64 bytes at a time: a block's
            // digits, commas and line breaks are found at once (`Block`), so each value's start
            // comes from a bit mask and no value waits for the one before it to be measured.
            // The value at `cur` is taken when the next one's start is found, all bytes between
            // them checked. Anything else, or a value of 16 digits or more, is left to the
            // general path, from `cur`.
            let mut cur = self.pos;
            let mut at = self.pos;
            let first = m;
            // Values are noted as their digits (see `digit_word`) and combined in batches from
            // `raw` on (`settle`); longer ones, of 9 to 15 digits, are combined one by one.
            let mut raw = m;
            let mut long: Vec<(usize, u64)> = Vec::new();
            // The byte before `at`, as `Block::after` needs it: at first, the value's start.
            let mut before = Block::VALUE_START;
            while cur < limit && m < CHUNK {
                if self.end - at < BLOCK_AHEAD {
                    (self.pos, *held) = (cur, m);
                    // An error of the refill hands the values held to `f`: combined first.
                    settle(&mut values[raw..m], raw, &mut long);
                    raw = m;
                    let enough = self.ensure(at - cur + BLOCK_AHEAD)?;
                    // A refill moves the unread bytes to the front of the buffer.
                    (at, cur) = (at - (cur - self.pos), self.pos);
                    limit = usize::try_from(stop.saturating_sub(self.base)).unwrap_or(usize::MAX);
                    if !enough {
                        break;
                    }
                }
                // Whole blocks at once, as far as they go; the block where they stop, here.
                #[cfg(target_arch = "x86_64")]
                if self.wide {
                    // The values before are combined first: these come combined.
                    settle(&mut values[raw..m], raw, &mut long);
                    let buf = &self.buf[..self.end];
                    // SAFETY: `wide` says the processor has what `wide_blocks` needs; `cur`,
                    // the start of a value before the block's (or its first byte), is at most
                    // `at`; the arrays have room for CHUNK + 64 values (asserted above).
                    (at, cur, m, before) = unsafe { wide_blocks(buf, at, cur, m, limit, before, self.base, values, offsets) };
                    raw = m;
                    if self.end - at < BLOCK_AHEAD || cur >= limit || m >= CHUNK {
                        continue;
                    }
                }
                let block = Block::of(self.buf[at..at + 64].try_into().expect("64 bytes"));
                let (starts, valid) = block.after(before);
                let mut starts = starts & valid;
                let mut whole = valid == u64::MAX;
                let buf = &self.buf[..at + BLOCK_AHEAD];
                while starts != 0 {
                    let next = at + starts.trailing_zeros() as usize;
                    starts &= starts - 1;
                    if cur >= limit {
                        whole = false;
                        break;
                    }
                    // SAFETY: `buf` holds BLOCK_AHEAD bytes from `at` and `cur < at + 64`, so the
                    // 16 bytes from `cur` are in it; the value at `cur` has a digit and a comma
                    // before `next`, so `next - 2` is at least `cur`.
                    let (after, bytes) = unsafe { (*buf.get_unchecked(next - 2), &*(buf.as_ptr().add(cur) as *const [u8; 16])) };
                    // Its digits end where "," or "\n," before the next value begins.
                    let len = next - cur - 1 - (after == b'\n') as usize;
                    let value = match len {
                        1..=8 => digit_word(bytes, len),
                        9..=15 => {
                            long.push((m, short_uint(bytes, len)));
                            0
                        }
                        _ => {
                            whole = false;
                            break;
                        }
                    };
                    // SAFETY: a block starts with `m < CHUNK` and takes at most 32 values (each
                    // a digit and a comma at least); the arrays hold CHUNK + 64 (asserted above).
                    unsafe {
                        *values.get_unchecked_mut(m) = value;
                        *offsets.get_unchecked_mut(m) = self.base + cur as u64;
                    }
                    m += 1;
                    cur = next;
                }
                if !whole {
                    break;
                }
                before = block;
                at += 64;
            }
            settle(&mut values[raw..m], raw, &mut long);
            *count += (m - first) as u64;
            *held = m;
            self.pos = cur;
            self.skip_ws()?;
            if self.offset() >= stop {
                return Ok(());
            }
            offsets[m] = self.offset();
            values[m] = self.uint()?;
            m += 1;
            *count += 1;
            *held = m;
            if !self.comma_or(b']', "',' or ']' in an array of integers")? {
                return Ok(());
            }
        }
    }

    /// Skips `[u, u, ...]` without reading the values (another reader parses them) by finding
    /// the first `]`: in a well-formed array of integers that is its end, and in a malformed
    /// one the parse of the values reports an error at an earlier offset.
    /// Progress is not reported meanwhile: the reader that parses the values reports them.
    pub fn skip_uint_array(&mut self) -> Result<()> {
        let progress = self.progress.take();
        let skipped = self.skip_to_bracket();
        self.progress = progress;
        skipped
    }

    fn skip_to_bracket(&mut self) -> Result<()> {
        self.expect(b'[', "'[' opening an array of integers")?;
        loop {
            if let Some(i) = memchr::memchr(b']', &self.buf[self.pos..self.end]) {
                self.pos += i + 1;
                return Ok(());
            }
            self.pos = self.end;
            if !self.ensure(1)? {
                return Err(self.unexpected("',' or ']' in an array of integers"));
            }
        }
    }

    /// Reads one JSON string, appending its decoded UTF-8 to `out`. Lone surrogates become
    /// U+FFFD, as do invalid UTF-8 bytes.
    pub fn string_into(&mut self, out: &mut Vec<u8>) -> Result<()> {
        self.expect(b'"', "'\"' opening a string")?;
        let start_len = out.len();
        let mut clean = true;
        loop {
            if !self.ensure(1)? {
                return Err(self.unexpected("'\"' closing a string"));
            }
            // Copy the run of plain bytes at once: up to a quote, a backslash or a control
            // character.
            let run_start = self.pos;
            let (run, ascii) = plain_run(&self.buf[run_start..self.end], self.wide);
            clean &= ascii;
            let i = run_start + run.len();
            out.extend_from_slice(run);
            self.pos = i;
            if i == self.end {
                continue;
            }
            match self.buf[i] {
                b'"' => {
                    self.pos += 1;
                    break;
                }
                b'\\' => {
                    self.pos += 1;
                    self.escape(out)?;
                }
                _ => return Err(self.unexpected("a string character (control characters must be escaped)")),
            }
        }
        if !clean && std::str::from_utf8(&out[start_len..]).is_err() {
            let fixed = String::from_utf8_lossy(&out[start_len..]).into_owned();
            out.truncate(start_len);
            out.extend_from_slice(fixed.as_bytes());
        }
        Ok(())
    }

    fn escape(&mut self, out: &mut Vec<u8>) -> Result<()> {
        if !self.ensure(1)? {
            return Err(self.unexpected("an escape character after '\\'"));
        }
        let c = match self.buf[self.pos] {
            b'"' => b'"',
            b'\\' => b'\\',
            b'/' => b'/',
            b'b' => 0x08,
            b'f' => 0x0c,
            b'n' => b'\n',
            b'r' => b'\r',
            b't' => b'\t',
            b'u' => {
                self.pos += 1;
                let unit = self.hex4()?;
                let ch = if (0xD800..0xDC00).contains(&unit) {
                    // A high surrogate: pair it with a following \uDC00-\uDFFF if there is one.
                    self.ensure(6)?;
                    let low = if self.end - self.pos >= 6 && &self.buf[self.pos..self.pos + 2] == b"\\u" {
                        let save = self.pos;
                        self.pos += 2;
                        let low = self.hex4()?;
                        if (0xDC00..0xE000).contains(&low) {
                            Some(low)
                        } else {
                            self.pos = save;
                            None
                        }
                    } else {
                        None
                    };
                    match low {
                        Some(low) => char::from_u32(0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00)),
                        None => None,
                    }
                } else {
                    char::from_u32(unit)
                };
                let mut tmp = [0u8; 4];
                out.extend_from_slice(ch.unwrap_or('\u{FFFD}').encode_utf8(&mut tmp).as_bytes());
                return Ok(());
            }
            _ => return Err(self.unexpected("a valid escape (\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX)")),
        };
        self.pos += 1;
        out.push(c);
        Ok(())
    }

    fn hex4(&mut self) -> Result<u32> {
        let mut v = 0u32;
        for _ in 0..4 {
            if !self.ensure(1)? {
                return Err(self.unexpected("four hex digits after \\u"));
            }
            let d = match self.buf[self.pos] {
                b @ b'0'..=b'9' => b - b'0',
                b @ b'a'..=b'f' => b - b'a' + 10,
                b @ b'A'..=b'F' => b - b'A' + 10,
                _ => return Err(self.unexpected("four hex digits after \\u")),
            };
            v = v * 16 + d as u32;
            self.pos += 1;
        }
        Ok(v)
    }

    pub fn string(&mut self) -> Result<String> {
        let mut out = Vec::new();
        self.string_into(&mut out)?;
        // string_into only leaves valid UTF-8 behind.
        Ok(String::from_utf8(out).unwrap_or_default())
    }

    /// Reads `["a", "b", ...]`, appending each decoded string that `keep` accepts (by index) to
    /// `bytes` and its end to `ends`; the others are read and checked all the same. Returns how
    /// many strings there were.
    pub fn string_array(&mut self, bytes: &mut Vec<u8>, ends: &mut Vec<u64>, keep: impl Fn(usize) -> bool) -> Result<usize> {
        self.expect(b'[', "'[' opening the strings array")?;
        self.skip_ws()?;
        if self.peek()? == Some(b']') {
            self.pos += 1;
            return Ok(0);
        }
        let mut count = 0;
        loop {
            let start = bytes.len();
            self.string_into(bytes)?;
            if keep(count) {
                ends.push(bytes.len() as u64);
            } else {
                // Read and checked, then let go: its bytes' room serves the next string.
                bytes.truncate(start);
            }
            count += 1;
            if !self.comma_or(b']', "',' or ']' in the strings array")? {
                return Ok(count);
            }
        }
    }

    /// Reports the progress so far (what the reader has parsed), as a refill does.
    pub fn report(&mut self) {
        if let Some(p) = self.progress.as_mut() {
            p(self.base + self.pos as u64);
        }
    }

    /// Reads any JSON value into a [`Value`]; for small members such as the header.
    pub fn value(&mut self) -> Result<Value> {
        self.value_at_depth(0)
    }

    fn value_at_depth(&mut self, depth: usize) -> Result<Value> {
        if depth > MAX_DEPTH {
            return Err(Error::at(ErrorKind::Format, self.offset(), "expected JSON nested at most 64 deep"));
        }
        self.skip_ws()?;
        match self.peek()? {
            Some(b'{') => {
                self.pos += 1;
                let mut members = Vec::new();
                self.skip_ws()?;
                if self.peek()? == Some(b'}') {
                    self.pos += 1;
                    return Ok(Value::Object(members));
                }
                loop {
                    self.skip_ws()?;
                    let key = self.string()?;
                    self.expect(b':', "':' after an object key")?;
                    members.push((key, self.value_at_depth(depth + 1)?));
                    if !self.comma_or(b'}', "',' or '}' in an object")? {
                        return Ok(Value::Object(members));
                    }
                }
            }
            Some(b'[') => {
                self.pos += 1;
                let mut items = Vec::new();
                self.skip_ws()?;
                if self.peek()? == Some(b']') {
                    self.pos += 1;
                    return Ok(Value::Array(items));
                }
                loop {
                    items.push(self.value_at_depth(depth + 1)?);
                    if !self.comma_or(b']', "',' or ']' in an array")? {
                        return Ok(Value::Array(items));
                    }
                }
            }
            Some(b'"') => Ok(Value::String(self.string()?)),
            Some(b't') => self.literal(b"true", Value::Bool(true)),
            Some(b'f') => self.literal(b"false", Value::Bool(false)),
            Some(b'n') => self.literal(b"null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            _ => Err(self.unexpected("a JSON value")),
        }
    }

    fn literal(&mut self, word: &[u8], v: Value) -> Result<Value> {
        self.ensure(word.len())?;
        if self.end - self.pos >= word.len() && &self.buf[self.pos..self.pos + word.len()] == word {
            self.pos += word.len();
            Ok(v)
        } else {
            Err(self.unexpected("a JSON value"))
        }
    }

    fn number(&mut self) -> Result<Value> {
        self.ensure(64)?;
        let start = self.pos;
        let mut i = self.pos;
        while i < self.end && matches!(self.buf[i], b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') {
            i += 1;
        }
        let text = std::str::from_utf8(&self.buf[start..i]).unwrap_or("");
        match text.parse::<f64>() {
            Ok(n) => {
                self.pos = i;
                Ok(Value::Number(n))
            }
            Err(_) => Err(self.unexpected("a number")),
        }
    }

    /// Skips any JSON value without keeping it (for members we do not use), iteratively.
    pub fn skip_value(&mut self) -> Result<()> {
        let mut depth = 0usize;
        let mut scratch = Vec::new();
        loop {
            self.skip_ws()?;
            match self.peek()? {
                Some(b'{' | b'[') => {
                    self.pos += 1;
                    depth += 1;
                    continue;
                }
                Some(b'}' | b']') if depth > 0 => {
                    self.pos += 1;
                    depth -= 1;
                }
                Some(b'"') => {
                    scratch.clear();
                    self.string_into(&mut scratch)?;
                    self.skip_ws()?;
                    if depth > 0 && self.peek()? == Some(b':') {
                        self.pos += 1;
                        continue;
                    }
                }
                Some(b't' | b'f' | b'n') => {
                    let word: &[u8] = match self.peek()? {
                        Some(b't') => b"true",
                        Some(b'f') => b"false",
                        _ => b"null",
                    };
                    self.literal(word, Value::Null)?;
                }
                Some(b'-' | b'0'..=b'9') => {
                    self.number()?;
                }
                _ => return Err(self.unexpected("a JSON value")),
            }
            if depth == 0 {
                return Ok(());
            }
            self.skip_ws()?;
            match self.peek()? {
                Some(b',') => self.pos += 1,
                Some(b'}' | b']') => {}
                _ => return Err(self.unexpected("',' or a closing bracket")),
            }
        }
    }

    /// After the top-level value: only whitespace may follow.
    pub fn expect_end(&mut self) -> Result<()> {
        self.skip_ws()?;
        match self.peek()? {
            None => Ok(()),
            Some(_) => Err(self.unexpected("end of file after the snapshot object")),
        }
    }
}

/// The run of plain string bytes that `bytes` starts with (up to a quote, a backslash or a
/// control character), and whether it is all ASCII; `wide`: with [`wide_plain_run`].
#[inline]
fn plain_run(bytes: &[u8], wide: bool) -> (&[u8], bool) {
    #[cfg(target_arch = "x86_64")]
    if wide {
        // SAFETY: `wide` says the processor has AVX-512 F and BW.
        let (len, ascii) = unsafe { wide_plain_run(bytes) };
        return (&bytes[..len], ascii);
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = wide;
    // Up to a quote or a backslash (found by memchr's vector search), or before that a
    // control character: branch-free, so it vectorises; control characters are errors, so rare.
    let mut run = &bytes[..memchr::memchr2(b'"', b'\\', bytes).unwrap_or(bytes.len())];
    if run.iter().fold(false, |any, &b| any | (b < 0x20)) {
        run = &run[..run.iter().position(|&b| b < 0x20).unwrap_or(run.len())];
    }
    (run, run.is_ascii())
}

/// [`plain_run`]'s length and ASCII test in one pass, 64 bytes at a time.
///
/// # Safety
/// The processor has AVX-512 F and BW.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw")]
unsafe fn wide_plain_run(bytes: &[u8]) -> (usize, bool) {
    use std::arch::x86_64::*;
    let mut at = 0;
    let mut high = 0u64;
    // SAFETY: the features are there (the caller's promise); each load reads only the bytes
    // its mask keeps, all in `bytes`.
    unsafe {
        while at < bytes.len() {
            let keep = if bytes.len() - at >= 64 { u64::MAX } else { (1u64 << (bytes.len() - at)) - 1 };
            let x = _mm512_maskz_loadu_epi8(keep, bytes.as_ptr().add(at).cast());
            // (Unsigned: bytes from 0x80 up are no control characters.)
            let control = _mm512_cmplt_epu8_mask(x, _mm512_set1_epi8(0x20));
            let stop = keep & (control | _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(b'"' as i8)) | _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(b'\\' as i8)));
            let non_ascii = keep & _mm512_movepi8_mask(x);
            if stop != 0 {
                let len = stop.trailing_zeros() as usize;
                high |= non_ascii & ((1u64 << len) - 1);
                return (at + len, high == 0);
            }
            high |= non_ascii;
            at += 64;
        }
    }
    (bytes.len(), high == 0)
}

/// Whether this processor has the AVX-512 the wide paths use: here [`wide_blocks`] and
/// [`wide_plain_run`], in the parse the records' columns (one check for all: a processor with
/// VBMI2 has the rest).
pub(crate) fn wide_available() -> bool {
    #[cfg(test)]
    if NARROW.with(std::cell::Cell::get) {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::is_x86_feature_detected as has;
        has!("avx512f") && has!("avx512bw") && has!("avx512dq") && has!("avx512vbmi") && has!("avx512vbmi2") && has!("bmi2") && has!("popcnt")
    }
    #[cfg(not(target_arch = "x86_64"))]
    false
}

#[cfg(test)]
thread_local! {
    /// Set by a test to read without the wide paths on its thread, to compare.
    pub(crate) static NARROW: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// The block fast path over whole blocks (every byte in V8's layout), each block's values
/// at once, eight at a time, as its loop takes them one by one; from the block at `at`, after
/// `before`, with the value at `cur` pending and `m` values held. It stops before a block
/// that is not whole, has no value start, ends within BLOCK_AHEAD of `buf`'s end or at
/// `limit` or after it, or ends a value of 16 digits or more, or once a chunk is held: it
/// returns `at`, `cur`, `m` and `before` there, for the loop to go on.
///
/// A block's masks come from three comparisons, the starts' places packed by a compress, each
/// value's first eight bytes by a permutation of the 128 bytes from the value at `cur`, the
/// digit words by a shift per value, and the values by `combine_words`' steps: no branch per
/// value. (The values are stored combined, those of 9 to 15 digits one by one.)
///
/// # Safety
/// The processor has AVX-512 F, BW, VBMI and VBMI2, BMI2 and POPCNT; `cur` is at most `at`;
/// `values` and `offsets` hold CHUNK + 64 at least.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f,avx512bw,avx512vbmi,avx512vbmi2,bmi2,popcnt")]
#[allow(clippy::too_many_arguments)]
unsafe fn wide_blocks(
    buf: &[u8],
    mut at: usize,
    mut cur: usize,
    mut m: usize,
    limit: usize,
    before: Block,
    base: u64,
    values: &mut [u64],
    offsets: &mut [u64],
) -> (usize, usize, usize, Block) {
    use std::arch::x86_64::*;
    const PLACES: [u8; 64] = {
        let mut p = [0u8; 64];
        let mut i = 0;
        while i < 64 {
            p[i] = i as u8;
            i += 1;
        }
        p
    };
    assert!(values.len() >= CHUNK + 64 && offsets.len() >= CHUNK + 64, "room for a chunk and a block");
    let mut places = [0u8; 64];
    // The masks one by one, so that they stay in registers.
    let (mut digits, mut commas, mut breaks) = (before.digits, before.commas, before.breaks);
    // SAFETY (all below): the features are there (the caller's promise). Loads and stores are
    // unaligned: of `places`; of the block and of the 128 bytes from `cur` (`cur <= at` and
    // `at + BLOCK_AHEAD <= buf.len()`); of `values` and `offsets` at `m + g`, 8 values, with
    // `m < CHUNK` and `g < 32` (a block has at most 32 starts, each a digit after another
    // byte).
    unsafe {
        let (base_v, one) = (_mm512_set1_epi64(base as i64), _mm512_set1_epi64(1));
        // Copies each lane's low byte to its eight (a shuffle within each 16 bytes), and then
        // counts them up from 0 to 7.
        let spread = _mm512_set_epi64(0x0808_0808_0808_0808, 0, 0x0808_0808_0808_0808, 0, 0x0808_0808_0808_0808, 0, 0x0808_0808_0808_0808, 0);
        let up = _mm512_set1_epi64(0x0706_0504_0302_0100);
        // As in `combine_words_avx2`: digit pairs, pairs of those, each word's halves.
        let (tens, hundreds, ten_thousands) = (_mm512_set1_epi16(0x010A), _mm512_set1_epi32(0x0001_0064), _mm512_set1_epi64(10_000));
        let places_v = _mm512_loadu_si512(PLACES.as_ptr().cast());
        while m < CHUNK && at + BLOCK_AHEAD <= buf.len() && at + 64 <= limit {
            let block = Block::of_avx512(&*(buf.as_ptr().add(at) as *const [u8; 64]));
            let (starts, valid) = block.after(Block { digits, commas, breaks });
            if valid != u64::MAX || starts == 0 {
                break;
            }
            let count = starts.count_ones() as usize;
            _mm512_storeu_si512(places.as_mut_ptr().cast(), _mm512_maskz_compress_epi8(starts, places_v));
            // Whether the byte two before each start is a line break (the one of "\n,").
            let mut after_break = _pext_u64(block.breaks << 2 | breaks >> 62, starts);
            let (at_v, cur_v) = (_mm512_set1_epi64(at as i64), _mm512_set1_epi64(cur as i64));
            // The 128 bytes from `cur`. If the first value has at most 15 digits (else none is
            // taken), the next starts at most 17 bytes on, in the block: all start before
            // `cur + 81`, and their first eight bytes are in these.
            let (low, high) = (_mm512_loadu_si512(buf.as_ptr().add(cur).cast()), _mm512_loadu_si512(buf.as_ptr().add(cur + 64).cast()));
            let mut previous = cur_v;
            let mut too_long = false;
            for g in (0..count).step_by(8) {
                let lanes = if count - g >= 8 { u8::MAX } else { (1u8 << (count - g)) - 1 };
                let next = _mm512_add_epi64(at_v, _mm512_cvtepu8_epi64(_mm_loadl_epi64(places.as_ptr().add(g).cast())));
                // Each value starts where the one before it ends: lane 0, at the last
                // group's last.
                let start = _mm512_alignr_epi64::<7>(next, previous);
                // Its digits end where "," or "\n," before the next value begins.
                let len = _mm512_sub_epi64(_mm512_sub_epi64(_mm512_sub_epi64(next, start), one), _mm512_maskz_mov_epi64(after_break as u8, one));
                if _mm512_mask_cmpgt_epu64_mask(lanes, _mm512_sub_epi64(len, one), _mm512_set1_epi64(14)) != 0 {
                    too_long = true;
                    break;
                }
                // `digit_word` in each lane: digits less '0', shifted to the top (a value of 9
                // digits or more, by 64 or more: to 0, its placeholder); then combined.
                let from = _mm512_add_epi8(_mm512_shuffle_epi8(_mm512_sub_epi64(start, cur_v), spread), up);
                let words = _mm512_sub_epi8(_mm512_permutex2var_epi8(low, from, high), _mm512_set1_epi8(b'0' as i8));
                let shift = _mm512_sub_epi64(_mm512_set1_epi64(64), _mm512_slli_epi64::<3>(len));
                let quads = _mm512_madd_epi16(_mm512_maddubs_epi16(_mm512_sllv_epi64(words, shift), tens), hundreds);
                let combined = _mm512_add_epi64(_mm512_mul_epu32(quads, ten_thousands), _mm512_srli_epi64::<32>(quads));
                _mm512_storeu_si512(values.as_mut_ptr().add(m + g).cast(), combined);
                _mm512_storeu_si512(offsets.as_mut_ptr().add(m + g).cast(), _mm512_add_epi64(start, base_v));
                let mut longer = _mm512_mask_cmpgt_epu64_mask(lanes, len, _mm512_set1_epi64(8));
                while longer != 0 {
                    let j = g + longer.trailing_zeros() as usize;
                    longer &= longer - 1;
                    let from = if j == 0 { cur } else { at + places[j - 1] as usize };
                    let len = at + places[j] as usize - from - 1 - (after_break >> (j - g) & 1) as usize;
                    values[m + j] = short_uint(buf[from..from + 16].try_into().expect("16 bytes"), len);
                }
                previous = next;
                after_break >>= 8;
            }
            if too_long {
                break;
            }
            m += count;
            cur = at + places[count - 1] as usize;
            (digits, commas, breaks) = (block.digits, block.commas, block.breaks);
            at += 64;
        }
    }
    (at, cur, m, Block { digits, commas, breaks })
}

/// Values a chunk holds before they are handed over: 16 KB of values and as many of offsets,
/// which stay in the first-level cache until the records are taken (4096 cost 4 % more).
const CHUNK: usize = 2048;

/// Bytes the block fast path needs from a block's start: the block, a value starting in its
/// last byte with the 16 bytes `short_uint` reads, and the 128 bytes [`wide_blocks`] reads
/// from the start of a value before the block.
const BLOCK_AHEAD: usize = 128;

/// 64 bytes of an array of integers, as bit masks (bit i: byte i): digits, commas, line breaks.
#[derive(Clone, Copy)]
struct Block {
    digits: u64,
    commas: u64,
    breaks: u64,
}

impl Block {
    /// Stands for the byte before a value's first digit: a "comma" that is also a "digit", so
    /// the value must start there and is not counted as a start.
    const VALUE_START: Block = Block { digits: 1 << 63, commas: 1 << 63, breaks: 0 };

    #[inline(always)]
    fn of(bytes: &[u8; 64]) -> Block {
        #[cfg(target_arch = "x86_64")]
        {
            Block::of_sse2(bytes)
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            Block::of_bytes(bytes)
        }
    }

    /// SSE2 is part of every x86-64 processor: sixteen bytes per comparison.
    #[cfg(target_arch = "x86_64")]
    #[inline(always)]
    fn of_sse2(bytes: &[u8; 64]) -> Block {
        use std::arch::x86_64::*;
        let (mut digits, mut commas, mut breaks) = (0u64, 0u64, 0u64);
        for i in 0..4 {
            // SAFETY: SSE2 is always available on x86-64; the load reads 16 of the 64 bytes.
            unsafe {
                let x = _mm_loadu_si128(bytes.as_ptr().add(16 * i) as *const __m128i);
                // Signed comparisons: bytes from 0x80 up are negative, so never digits.
                let d = _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8(b'0' as i8 - 1)), _mm_cmplt_epi8(x, _mm_set1_epi8(b'9' as i8 + 1)));
                digits |= (_mm_movemask_epi8(d) as u16 as u64) << (16 * i);
                commas |= (_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(b',' as i8))) as u16 as u64) << (16 * i);
                breaks |= (_mm_movemask_epi8(_mm_cmpeq_epi8(x, _mm_set1_epi8(b'\n' as i8))) as u16 as u64) << (16 * i);
            }
        }
        Block { digits, commas, breaks }
    }

    /// The same masks from three comparisons of the 64 bytes at once.
    ///
    /// # Safety
    /// The processor has AVX-512 F and BW.
    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "avx512f,avx512bw")]
    #[inline]
    unsafe fn of_avx512(bytes: &[u8; 64]) -> Block {
        use std::arch::x86_64::*;
        // SAFETY: the features are there (the caller's promise); the load reads the 64 bytes.
        unsafe {
            let x = _mm512_loadu_si512(bytes.as_ptr().cast());
            Block {
                // Bytes below '0' wrap round to 246 and more.
                digits: _mm512_cmplt_epu8_mask(_mm512_sub_epi8(x, _mm512_set1_epi8(b'0' as i8)), _mm512_set1_epi8(10)),
                commas: _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(b',' as i8)),
                breaks: _mm512_cmpeq_epi8_mask(x, _mm512_set1_epi8(b'\n' as i8)),
            }
        }
    }

    /// The same masks a byte at a time (other processors, and the test of the SSE2 ones).
    #[cfg_attr(target_arch = "x86_64", allow(dead_code))]
    fn of_bytes(bytes: &[u8; 64]) -> Block {
        let mask = |f: &dyn Fn(u8) -> bool| bytes.iter().enumerate().fold(0u64, |m, (i, &b)| m | (f(b) as u64) << i);
        Block { digits: mask(&|b| b.is_ascii_digit()), commas: mask(&|b| b == b','), breaks: mask(&|b| b == b'\n') }
    }

    /// With `before` the block before this one: (the bytes where a value starts, the bytes
    /// before the first one out of V8's layout). In that layout every byte is a digit, a comma
    /// or a line break; a comma is followed by a digit, a line break by a comma, and so each
    /// comma is preceded by a digit or a line break, each line break by a digit.
    #[inline(always)]
    fn after(self, before: Block) -> (u64, u64) {
        let previous = |this: u64, that: u64| this << 1 | that >> 63;
        let comma_before = previous(self.commas, before.commas);
        let break_before = previous(self.breaks, before.breaks);
        let bad = !(self.digits | self.commas | self.breaks) | (comma_before & !self.digits) | (break_before & !self.commas);
        let valid = if bad == 0 { u64::MAX } else { (1u64 << bad.trailing_zeros()) - 1 };
        (self.digits & !previous(self.digits, before.digits), valid)
    }
}

/// For the block fast path: the value of the `len` digits (9 to 15) at the start of `bytes`.
#[inline(always)]
fn short_uint(bytes: &[u8; 16], len: usize) -> u64 {
    combine8(bytes, 8) * POW10[len - 8] + combine8(&bytes[8..], len - 8)
}

const POW10: [u64; 8] = [1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000];

/// The value of the `len` (1 to 8) digits at the start of `bytes`.
#[inline(always)]
fn combine8(bytes: &[u8], len: usize) -> u64 {
    combine_word(digit_word(bytes, len))
}

/// The `len` (1 to 8) digits at the start of `bytes` as a word to combine: each digit's value
/// in a byte, moved to the top (first digit most significant, in byte 8 - `len`), zeros
/// before them.
#[inline(always)]
fn digit_word(bytes: &[u8], len: usize) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    let d = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes")).wrapping_sub(ONES * b'0' as u64);
    d << (64 - 8 * len)
}

/// A [`digit_word`]'s value: pairs, quads and the eight combined (SWAR, as simdjson does),
/// without a branch per digit.
#[inline(always)]
fn combine_word(v: u64) -> u64 {
    let v = (v.wrapping_mul(10 * 256 + 1) >> 8) & 0x00FF_00FF_00FF_00FF;
    let v = (v.wrapping_mul(100 * 65536 + 1) >> 16) & 0x0000_FFFF_0000_FFFF;
    v.wrapping_mul(10000 * (1 << 32) + 1) >> 32
}

/// Turns the fast path's words (`words`, from index `start` of the values) into values: each
/// a [`digit_word`], or a placeholder for a value in `long` (its index and value), which is
/// emptied.
fn settle(words: &mut [u64], start: usize, long: &mut Vec<(usize, u64)>) {
    combine_words(words);
    for (m, value) in long.drain(..) {
        words[m - start] = value;
    }
}

/// [`combine_word`] over a batch: four words an instruction with AVX2 (a pass with no
/// multiplication chain per value, the parse's hottest loop), one at a time without it.
fn combine_words(words: &mut [u64]) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is available, as just checked.
        unsafe { combine_words_avx2(words) };
        return;
    }
    for w in words {
        *w = combine_word(*w);
    }
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn combine_words_avx2(words: &mut [u64]) {
    use std::arch::x86_64::*;
    // Byte pairs (the first, more significant, times 10), then pairs of those (times 100),
    // then each word's two halves (times 10,000).
    let tens = _mm256_set1_epi16(0x010A);
    let hundreds = _mm256_set1_epi32(0x0001_0064);
    let ten_thousands = _mm256_set1_epi64x(10_000);
    let mut quads = words.chunks_exact_mut(4);
    for q in &mut quads {
        // SAFETY: `q` holds four u64, 32 bytes, loaded and stored unaligned.
        unsafe {
            let x = _mm256_loadu_si256(q.as_ptr() as *const __m256i);
            let pairs = _mm256_maddubs_epi16(x, tens);
            let halves = _mm256_madd_epi16(pairs, hundreds);
            let v = _mm256_add_epi64(_mm256_mul_epu32(halves, ten_thousands), _mm256_srli_epi64(halves, 32));
            _mm256_storeu_si256(q.as_mut_ptr() as *mut __m256i, v);
        }
    }
    for w in quads.into_remainder() {
        *w = combine_word(*w);
    }
}

#[cfg(test)]
mod tests {
    use super::{combine8, combine_word, combine_words, digit_word, plain_run, short_uint, Block, JsonReader};
    use proptest::prelude::*;

    /// A value as the fast path reads it: combined in a batch, or alone if long.
    fn short(text: &str) -> Option<u64> {
        let mut bytes = [b','; 16];
        bytes[..text.len()].copy_from_slice(text.as_bytes());
        match text.len() {
            len @ 1..=8 => {
                let mut words = [digit_word(&bytes, len); 5];
                combine_words(&mut words);
                assert!(words.iter().all(|&w| w == combine8(&bytes, len)));
                Some(words[0])
            }
            len @ 9..=15 => Some(short_uint(&bytes, len)),
            _ => None,
        }
    }

    #[test]
    fn batches_combine_as_words_one_by_one() {
        proptest!(|(digits in proptest::collection::vec(proptest::collection::vec(0u8..10, 1..=8), 0..40))| {
            let words: Vec<u64> = digits
                .iter()
                .map(|d| {
                    let mut bytes = [b'0'; 8];
                    for (b, &d) in bytes.iter_mut().zip(d) {
                        *b = b'0' + d;
                    }
                    digit_word(&bytes, d.len())
                })
                .collect();
            let mut batch = words.clone();
            combine_words(&mut batch);
            let expected: Vec<u64> = digits.iter().map(|d| d.iter().fold(0u64, |v, &d| v * 10 + d as u64)).collect();
            prop_assert_eq!(&batch, &expected);
            prop_assert_eq!(words.iter().map(|&w| combine_word(w)).collect::<Vec<_>>(), expected);
        });
    }

    #[test]
    fn short_integers_of_every_length_read_exactly() {
        let mut n = 1u64;
        for digits in 1..=15 {
            for v in [n, n + 7, n * 9 + (n - 1)] {
                assert_eq!(short(&v.to_string()), Some(v), "{v}");
            }
            assert_eq!(short(&format!("{}0", "0".repeat(digits - 1))), Some(0));
            n *= 10;
        }
        assert_eq!(short("1234567890123456"), None);
    }

    #[test]
    fn the_masks_are_the_bytes_classes() {
        let mut bytes = [0u8; 64];
        for start in (0..256).step_by(64) {
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = (start + i) as u8;
            }
            let (a, b) = (Block::of(&bytes), Block::of_bytes(&bytes));
            assert_eq!((a.digits, a.commas, a.breaks), (b.digits, b.commas, b.breaks));
            #[cfg(target_arch = "x86_64")]
            if super::wide_available() {
                // SAFETY: the processor has AVX-512 F and BW, as just checked.
                let c = unsafe { Block::of_avx512(&bytes) };
                assert_eq!((c.digits, c.commas, c.breaks), (b.digits, b.commas, b.breaks));
            }
        }
        let mut text = *b"12,3\n,45,6,7\n,8,9999999,0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,,-";
        let (starts, valid) = Block::of(&text).after(Block::VALUE_START);
        assert_eq!(starts.trailing_zeros(), 3);
        let second_comma = text.windows(2).position(|w| w == b",,").unwrap() + 1;
        assert_eq!(valid, (1 << second_comma) - 1, "the first byte out of the layout: the second comma of ',,'");
        text[0] = b'\n';
        assert_eq!(Block::of(&text).after(Block::VALUE_START).1, 0, "a value must start the first block");
    }

    /// A source that hands out at most `.1` bytes per read, so the buffer refills often.
    struct Trickle<'a>(&'a [u8], usize);

    impl std::io::Read for Trickle<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(buf.len()).min(self.0.len());
            buf[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// Reads `text` (an array's values, from after its '[') with `listed_chunks`, `chunk`
    /// bytes per read, with the wide block path if `wide` (and the processor has it).
    fn records(text: impl AsRef<[u8]>, width: usize, stop: u64, chunk: usize, wide: bool) -> crate::error::Result<(Vec<u64>, Vec<u64>, u64, u64)> {
        let mut r = JsonReader::new(Trickle(text.as_ref(), chunk), None);
        r.wide &= wide;
        let (mut values, mut offsets) = (vec![], vec![]);
        let count = r.listed_chunks(width, stop, |v, o| {
            values.extend_from_slice(v);
            offsets.extend_from_slice(o);
            Ok(())
        })?;
        Ok((values, offsets, count, r.offset()))
    }

    /// A stop anywhere, in a buffer that holds the whole array: in particular past a block's
    /// last value start but before its end, where the block's values are taken one by one and
    /// the next block's after them.
    #[test]
    fn a_stop_anywhere_leaves_the_values_before_it_read() {
        for digits in 1..=5 {
            let text = format!("{}5]", format!("{},", "7".repeat(digits)).repeat(100));
            let value: u64 = "7".repeat(digits).parse().unwrap();
            for stop in 0..text.len() as u64 {
                let before = (stop as usize).div_ceil(digits + 1).min(101);
                for wide in [false, true] {
                    let (values, _, count, _) = records(&text, 1, stop, 1 << 20, wide).unwrap();
                    assert_eq!(count as usize, before, "{digits} digits, stop {stop}");
                    assert!(values[..before.min(100)].iter().all(|&v| v == value), "{digits} digits, stop {stop}: {values:?}");
                }
            }
        }
    }

    #[test]
    fn a_run_of_digits_longer_than_the_buffer_is_a_value_too_large() {
        for chunk in [7, 1 << 20] {
            let text = format!("5,{}]", "1".repeat(3 << 20));
            let e = records(&text, 1, u64::MAX, chunk, true).unwrap_err();
            assert_eq!(e.offset, Some(2), "{e:?}");
            assert!(e.to_string().contains("below 2^64"), "{e}");
        }
    }

    proptest! {
        /// A string's plain run is the same found 64 bytes at a time as byte by byte: its end
        /// (a quote, a backslash or a control character) and whether it is ASCII.
        #[test]
        fn plain_runs_end_where_they_do(
            plain in proptest::collection::vec(prop_oneof![8 => 0x20u8..0x7f, 1 => 0x80u8..=0xff], 0..200),
            end in prop_oneof![Just(None), Just(Some(b'"')), Just(Some(b'\\')), (0u8..0x20).prop_map(Some)],
        ) {
            let mut bytes: Vec<u8> = plain.into_iter().filter(|&b| b != b'"' && b != b'\\').collect();
            // Without an end of its own, the run goes on to the quote after "abc" (and a byte
            // past the run is not ASCII).
            let len = bytes.len() + if end.is_none() { 3 } else { 0 };
            bytes.extend(end);
            bytes.extend_from_slice(b"abc\"\xc3\xa9\\\x01");
            let (narrow, ascii) = plain_run(&bytes, false);
            prop_assert_eq!(narrow.len(), len);
            prop_assert_eq!(plain_run(&bytes, super::wide_available()), (narrow, ascii));
        }

        /// Any bytes at all read the same with the wide paths as without: values, offsets,
        /// count, where the reader ends, or the error.
        #[test]
        fn any_bytes_read_the_same_wide_or_not(
            bytes in proptest::collection::vec(prop_oneof![12 => b'0'..=b'9', 4 => Just(b','), 2 => Just(b'\n'), 1 => any::<u8>()], 0..700),
            width in 1usize..8,
            stop in prop_oneof![Just(u64::MAX), 0u64..700],
        ) {
            let text: Vec<u8> = bytes.into_iter().chain(*b"]").collect();
            let read = |wide| records(&text, width, stop, 1 << 20, wide).map_err(|e| (e.offset, e.message));
            prop_assert_eq!(read(false), read(true));
        }

        /// Every layout reads as the general path alone would, with the block fast path taking
        /// a block's values one by one or all at once: the values, their offsets, the count,
        /// where a stop leaves the reader, and the errors.
        #[test]
        fn any_layout_reads_every_value_where_it_is(
            items in proptest::collection::vec((0u64..1 << 20, 0u32..21, 0usize..100, 0usize..60), 0..400),
            width in 1usize..8,
            stop_at in proptest::option::of((0usize..400, 0u64..4)),
            chunk in prop_oneof![1usize..100, Just(1 << 20)],
        ) {
            // Mostly V8's layout, for stretches of whole blocks; now and then spaces, the end
            // of the array, or an error.
            let separator = |sep: usize| match sep {
                0..=69 => ",",
                70..=89 => "\n,",
                90..=93 => ", ",
                94 => " ,",
                95 => "\n\n,",
                96 => ",\t",
                97 | 98 => "]",
                _ => ",-",
            };
            let mut text = String::new();
            let (mut values, mut offsets) = (vec![], vec![]);
            let mut stop = u64::MAX;
            let mut error = false;
            for (i, &(small, shift, sep, big)) in items.iter().enumerate() {
                // Mostly values of 1 to 7 digits; now and then one of 9 to 15 or of 16 to 20.
                let value = match big {
                    0 => 10u64.pow(15 + (small % 5) as u32) + small,
                    1..=7 => 10u64.pow(7 + big as u32) + small,
                    _ => small >> shift,
                };
                // A stop at a value's start, or a few bytes into it or past it.
                if let Some((_, past)) = stop_at.filter(|&(at, _)| at == i) {
                    stop = text.len() as u64 + past;
                }
                offsets.push(text.len() as u64);
                values.push(value);
                text += &value.to_string();
                let sep = separator(if i + 1 == items.len() { 97 } else { sep });
                text += sep;
                error = sep == ",-";
                if sep == "]" || error {
                    break;
                }
            }
            if items.is_empty() {
                text += "0]";
                values.push(0);
                offsets.push(0);
            }
            // The '-' ending an erroneous text is where a value should be: read unless the
            // stop comes first.
            let expected_error = error && stop > text.len() as u64 - 1;
            let mut ends = vec![];
            for wide in [false, true] {
                let read = records(&text, width, stop, chunk, wide);
                prop_assert_eq!(read.is_err(), expected_error, "{:?}", read);
                match read {
                    Ok((got, got_offsets, count, end)) => {
                        let taken = offsets.iter().take_while(|&&o| o < stop).count();
                        prop_assert_eq!(count as usize, taken);
                        let whole = taken / width * width;
                        prop_assert_eq!(&got[..], &values[..whole]);
                        prop_assert_eq!(&got_offsets[..], &offsets[..whole]);
                        ends.push(end);
                    }
                    Err(e) => ends.push(e.offset.unwrap_or(u64::MAX)),
                }
            }
            prop_assert_eq!(ends[0], ends[1], "where the reader stops, or the error's offset");
        }
    }
}
