//! A fault-injecting HTTP/1.1 proxy for tests: it sits between a client and a server (moto) and
//! produces, on request, the failures real services produce and test servers do not.
//!
//! It forwards each client connection to its own upstream connection, request by request, and
//! parses only what it needs: the request line and headers, and the body framing
//! (`Content-Length` or chunked) of both sides. Bodies are relayed as they arrive, never buffered
//! whole, so ranged reads of large objects are counted exactly.

use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::io::{
    AsyncBufRead, AsyncBufReadExt, AsyncReadExt, AsyncWrite, AsyncWriteExt, BufReader,
};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;

/// Which requests a fault applies to; every given part must match.
#[derive(Debug, Clone, Default)]
pub struct Match {
    method: Option<String>,
    path_contains: Option<String>,
    query_contains: Option<String>,
}

impl Match {
    /// Every request.
    pub fn any() -> Match {
        Match::default()
    }

    /// Requests with this method (`GET`, `HEAD`, …).
    pub fn method(mut self, method: &str) -> Match {
        self.method = Some(method.to_owned());
        self
    }

    /// Requests whose path (before `?`) contains `part`.
    pub fn path(mut self, part: &str) -> Match {
        self.path_contains = Some(part.to_owned());
        self
    }

    /// Requests whose query (after `?`) contains `part`, e.g. `list-type=2` for ListObjectsV2.
    pub fn query(mut self, part: &str) -> Match {
        self.query_contains = Some(part.to_owned());
        self
    }

    fn matches(&self, head: &Head) -> bool {
        let (path, query) = head.target.split_once('?').unwrap_or((&head.target, ""));
        self.method.as_deref().is_none_or(|m| m == head.method)
            && self
                .path_contains
                .as_deref()
                .is_none_or(|p| path.contains(p))
            && self
                .query_contains
                .as_deref()
                .is_none_or(|q| query.contains(q))
    }
}

/// One request as the proxy saw it.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    /// `GET`, `HEAD`, …
    pub method: String,
    /// The request target: path and query.
    pub target: String,
    /// The `Range` header, if any.
    pub range: Option<String>,
    /// The status sent to the client (0 when the connection was reset before a response).
    pub status: u16,
    /// Response body bytes sent to the client (for chunked bodies, with their framing).
    pub body_bytes: u64,
    /// The fault applied, if any: `slow-down`, `reset`, `flip`, `wrong-region`, `error`,
    /// `header`.
    pub fault: Option<&'static str>,
}

#[derive(Debug, Clone)]
enum Fault {
    SlowDown,
    ResetAfter(u64),
    FlipByte(u64),
    WrongRegion(String),
    /// A scripted S3 error answer, without the upstream.
    Error {
        status: u16,
        code: String,
        message: String,
    },
    /// The upstream's answer with one header set (replaced, or added).
    Header(String, String),
}

impl Fault {
    fn name(&self) -> &'static str {
        match self {
            Fault::SlowDown => "slow-down",
            Fault::ResetAfter(_) => "reset",
            Fault::FlipByte(_) => "flip",
            Fault::WrongRegion(_) => "wrong-region",
            Fault::Error { .. } => "error",
            Fault::Header(..) => "header",
        }
    }
}

#[derive(Debug)]
struct Rule {
    matcher: Match,
    fault: Fault,
    remaining: usize,
}

#[derive(Debug, Default)]
struct State {
    rules: Vec<Rule>,
    log: Vec<RequestRecord>,
}

#[derive(Debug)]
struct Shared {
    upstream: SocketAddr,
    state: Mutex<State>,
}

impl Shared {
    fn state(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere while the lock was held leaves the data usable for a test proxy.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The fault for this request, consuming one use of the first rule that matches.
    fn take_fault(&self, head: &Head) -> Option<Fault> {
        let mut state = self.state();
        for rule in state.rules.iter_mut() {
            if rule.remaining == 0 || !rule.matcher.matches(head) {
                continue;
            }
            if let Fault::WrongRegion(region) = &rule.fault {
                // Only requests signed for another region are redirected.
                if signing_region(head).as_deref() == Some(region.as_str()) {
                    continue;
                }
            }
            if rule.remaining != usize::MAX {
                rule.remaining -= 1;
            }
            return Some(rule.fault.clone());
        }
        None
    }

    fn record(&self, record: RequestRecord) {
        self.state().log.push(record);
    }
}

/// A running proxy on 127.0.0.1, in front of one upstream server; stopped when dropped.
///
/// It runs on its own thread and runtime, so tests may block (run ffprobe, say) while it works.
#[derive(Debug)]
pub struct FaultProxy {
    addr: SocketAddr,
    shared: Arc<Shared>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl FaultProxy {
    /// Starts a proxy that forwards to `upstream`.
    pub fn start(upstream: SocketAddr) -> FaultProxy {
        let shared = Arc::new(Shared {
            upstream,
            state: Mutex::new(State::default()),
        });
        let listener =
            std::net::TcpListener::bind("127.0.0.1:0").expect("bind the proxy on 127.0.0.1");
        let addr = listener.local_addr().expect("proxy address");
        listener
            .set_nonblocking(true)
            .expect("non-blocking proxy socket");
        let (tx, rx) = oneshot::channel();
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("fault-proxy".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .enable_all()
                    .build()
                    .expect("proxy runtime");
                runtime.block_on(async move {
                    let listener = TcpListener::from_std(listener).expect("proxy listener");
                    tokio::select! {
                        _ = accept_loop(listener, thread_shared) => {}
                        _ = rx => {}
                    }
                });
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .expect("start the proxy thread");
        FaultProxy {
            addr,
            shared,
            shutdown: Some(tx),
            thread: Some(thread),
        }
    }

    /// The proxy's URL, e.g. `http://127.0.0.1:40001`: use it as the client's endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the proxy listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Answers the next `count` matching requests with 503 SlowDown (S3's XML error).
    pub fn slow_down(&self, count: usize, matcher: Match) {
        self.add(matcher, Fault::SlowDown, count);
    }

    /// Resets the connection (TCP RST) after `bytes` bytes of the response body of the next
    /// matching request.
    pub fn reset_after(&self, bytes: u64, matcher: Match) {
        self.add(matcher, Fault::ResetAfter(bytes), 1);
    }

    /// Flips every bit of the response body byte at `offset` of the next matching request.
    pub fn flip_byte(&self, offset: u64, matcher: Match) {
        self.add(matcher, Fault::FlipByte(offset), 1);
    }

    /// Answers every request not signed for `region` (SigV4 credential scope) with S3's
    /// `301 PermanentRedirect` and an `x-amz-bucket-region` header naming `region`.
    pub fn wrong_region(&self, region: &str) {
        self.add(
            Match::any(),
            Fault::WrongRegion(region.to_owned()),
            usize::MAX,
        );
    }

    /// Answers the next `count` matching requests with an S3 error of this status and code,
    /// without asking the upstream: e.g. `409 RestoreAlreadyInProgress`, or `503
    /// GlacierExpeditedRetrievalNotAvailable`.
    pub fn error(&self, count: usize, matcher: Match, status: u16, code: &str, message: &str) {
        self.add(
            matcher,
            Fault::Error {
                status,
                code: code.to_owned(),
                message: message.to_owned(),
            },
            count,
        );
    }

    /// Forwards the next `count` matching requests and sets `name: value` in their responses
    /// (replacing the upstream's header of that name): e.g. `x-amz-restore:
    /// ongoing-request="true"` on HEADs.
    pub fn set_header(&self, count: usize, matcher: Match, name: &str, value: &str) {
        self.add(
            matcher,
            Fault::Header(name.to_owned(), value.to_owned()),
            count,
        );
    }

    /// Removes all faults not yet applied.
    pub fn clear_faults(&self) {
        self.shared.state().rules.clear();
    }

    /// Every request so far, in the order their responses finished.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.shared.state().log.clone()
    }

    /// Forgets the requests seen so far.
    pub fn clear_requests(&self) {
        self.shared.state().log.clear();
    }

    /// Response body bytes sent to clients, over all requests so far.
    pub fn body_bytes(&self) -> u64 {
        self.shared.state().log.iter().map(|r| r.body_bytes).sum()
    }

    fn add(&self, matcher: Match, fault: Fault, count: usize) {
        self.shared.state().rules.push(Rule {
            matcher,
            fault,
            remaining: count,
        });
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        // A small send buffer keeps the bytes counted close to the bytes the client read: on
        // loopback the kernel would otherwise take megabytes a client never reads.
        let _ = socket2::SockRef::from(&stream).set_send_buffer_size(32 * 1024);
        let shared = Arc::clone(&shared);
        tokio::spawn(async move {
            let _ = serve(stream, shared).await;
        });
    }
}

/// A request or response head.
#[derive(Debug)]
struct Head {
    /// The raw head, as received, up to and including the blank line.
    raw: Vec<u8>,
    method: String,
    target: String,
    status: u16,
    headers: Vec<(String, String)>,
}

impl Head {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn framing(&self) -> Framing {
        if self
            .header("transfer-encoding")
            .is_some_and(|v| v.to_ascii_lowercase().contains("chunked"))
        {
            Framing::Chunked
        } else if let Some(n) = self.header("content-length") {
            Framing::Length(n.trim().parse().unwrap_or(0))
        } else {
            Framing::None
        }
    }

    fn wants_close(&self) -> bool {
        self.header("connection")
            .is_some_and(|v| v.eq_ignore_ascii_case("close"))
    }
}

#[derive(Debug, Clone, Copy)]
enum Framing {
    None,
    Length(u64),
    Chunked,
    UntilClose,
}

/// Reads a head; `None` at a clean end of stream before any byte.
async fn read_head<R: AsyncBufRead + Unpin>(
    reader: &mut R,
    is_request: bool,
) -> io::Result<Option<Head>> {
    let mut raw = Vec::new();
    let mut lines = Vec::new();
    loop {
        let mut line = Vec::new();
        let n = reader.read_until(b'\n', &mut line).await?;
        if n == 0 {
            if raw.is_empty() {
                return Ok(None);
            }
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "head cut short",
            ));
        }
        raw.extend_from_slice(&line);
        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
        if text.is_empty() {
            if lines.is_empty() {
                continue;
            }
            break;
        }
        lines.push(text);
    }
    let first = lines.first().cloned().unwrap_or_default();
    let mut parts = first.splitn(3, ' ');
    let (a, b) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let (method, target, status) = if is_request {
        (a.to_owned(), b.to_owned(), 0)
    } else {
        (String::new(), String::new(), b.parse().unwrap_or(0))
    };
    let headers = lines[1..]
        .iter()
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Ok(Some(Head {
        raw,
        method,
        target,
        status,
        headers,
    }))
}

/// The region of a request's SigV4 credential scope (`AKID/DATE/REGION/s3/aws4_request`), from
/// the `Authorization` header or a presigned URL's `X-Amz-Credential`.
fn signing_region(head: &Head) -> Option<String> {
    let scope = if let Some(auth) = head.header("authorization") {
        let start = auth.find("Credential=")? + "Credential=".len();
        auth[start..].split([',', ' ']).next()?.to_owned()
    } else {
        let query = head.target.split_once('?')?.1;
        let value = query
            .split('&')
            .find_map(|p| p.strip_prefix("X-Amz-Credential="))?;
        value.replace("%2F", "/").replace("%2f", "/")
    };
    scope.split('/').nth(2).map(str::to_owned)
}

/// What a body relay should do to the bytes it passes on.
#[derive(Debug, Default)]
struct BodyFaults {
    reset_at: Option<u64>,
    flip_at: Option<u64>,
}

/// The outcome of relaying a body.
enum Relayed {
    Done(u64),
    /// The reset point was reached after this many bytes.
    Reset(u64),
}

struct Relay<'a> {
    faults: &'a BodyFaults,
    sent: &'a mut u64,
}

impl Relay<'_> {
    /// Copies `n` bytes; stops early at the reset point.
    async fn copy<R, W>(&mut self, from: &mut R, to: &mut W, n: u64) -> io::Result<bool>
    where
        R: AsyncBufRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let mut left = n;
        let mut buf = vec![0u8; 64 * 1024];
        while left > 0 {
            let mut want = left.min(buf.len() as u64) as usize;
            if let Some(reset) = self.faults.reset_at {
                want = want.min(reset.saturating_sub(*self.sent) as usize);
                if want == 0 {
                    return Ok(false);
                }
            }
            let got = from.read(&mut buf[..want]).await?;
            if got == 0 {
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "body cut short",
                ));
            }
            if let Some(flip) = self.faults.flip_at {
                if flip >= *self.sent && flip < *self.sent + got as u64 {
                    buf[(flip - *self.sent) as usize] ^= 0xFF;
                }
            }
            to.write_all(&buf[..got]).await?;
            *self.sent += got as u64;
            left -= got as u64;
        }
        Ok(true)
    }

    async fn copy_line<R, W>(&mut self, from: &mut R, to: &mut W) -> io::Result<Vec<u8>>
    where
        R: AsyncBufRead + Unpin,
        W: AsyncWrite + Unpin,
    {
        let mut line = Vec::new();
        from.read_until(b'\n', &mut line).await?;
        to.write_all(&line).await?;
        *self.sent += line.len() as u64;
        Ok(line)
    }
}

async fn relay_body<R, W>(
    from: &mut R,
    to: &mut W,
    framing: Framing,
    faults: &BodyFaults,
    sent: &mut u64,
) -> io::Result<Relayed>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin,
{
    let mut relay = Relay { faults, sent };
    match framing {
        Framing::None => {}
        Framing::Length(n) => {
            if !relay.copy(from, to, n).await? {
                return Ok(Relayed::Reset(*relay.sent));
            }
        }
        Framing::UntilClose => {
            if !relay.copy(from, to, u64::MAX).await.or_else(|e| {
                if e.kind() == io::ErrorKind::UnexpectedEof {
                    Ok(true)
                } else {
                    Err(e)
                }
            })? {
                return Ok(Relayed::Reset(*relay.sent));
            }
        }
        Framing::Chunked => loop {
            let line = relay.copy_line(from, to).await?;
            let text = String::from_utf8_lossy(&line);
            let size_text = text
                .trim()
                .split(';')
                .next()
                .unwrap_or("")
                .trim()
                .to_owned();
            let size = u64::from_str_radix(&size_text, 16)
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidData, "bad chunk size"))?;
            if size == 0 {
                // Trailers, up to the blank line.
                loop {
                    let line = relay.copy_line(from, to).await?;
                    if line.is_empty() || line == b"\r\n" || line == b"\n" {
                        break;
                    }
                }
                break;
            }
            if !relay.copy(from, to, size).await? {
                return Ok(Relayed::Reset(*relay.sent));
            }
            relay.copy_line(from, to).await?;
        },
    }
    to.flush().await?;
    Ok(Relayed::Done(*relay.sent))
}

/// Serves one client connection until either side closes it.
async fn serve(client: TcpStream, shared: Arc<Shared>) -> io::Result<()> {
    let (client_read, mut client_write) = client.into_split();
    let mut client_read = BufReader::new(client_read);
    let mut upstream: Option<(
        BufReader<tokio::net::tcp::OwnedReadHalf>,
        tokio::net::tcp::OwnedWriteHalf,
    )> = None;
    loop {
        let Some(request) = read_head(&mut client_read, true).await? else {
            return Ok(());
        };
        // The request body is read whole: test requests are small, and it lets a fault answer
        // without the upstream.
        let mut body = Vec::new();
        relay_body(
            &mut client_read,
            &mut body,
            request.framing(),
            &BodyFaults::default(),
            &mut 0,
        )
        .await?;
        let fault = shared.take_fault(&request);
        let mut record = RequestRecord {
            method: request.method.clone(),
            target: request.target.clone(),
            range: request.header("range").map(str::to_owned),
            status: 0,
            body_bytes: 0,
            fault: fault.as_ref().map(Fault::name),
        };
        match &fault {
            Some(Fault::SlowDown) => {
                record.status = 503;
                let xml =
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>SlowDown</Code>\
                           <Message>Please reduce your request rate.</Message>\
                           <RequestId>FAULTPROXY</RequestId></Error>";
                record.body_bytes =
                    answer(&mut client_write, &request, "503 Slow Down", &[], xml).await?;
                shared.record(record);
                continue;
            }
            Some(Fault::WrongRegion(region)) => {
                record.status = 301;
                let xml = format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PermanentRedirect</Code>\
                     <Message>The bucket you are attempting to access must be addressed using the \
                     specified endpoint. Please send all future requests to this endpoint.</Message>\
                     <Region>{region}</Region><RequestId>FAULTPROXY</RequestId></Error>"
                );
                let header = ("x-amz-bucket-region", region.as_str());
                record.body_bytes = answer(
                    &mut client_write,
                    &request,
                    "301 Moved Permanently",
                    &[header],
                    &xml,
                )
                .await?;
                shared.record(record);
                continue;
            }
            Some(Fault::Error {
                status,
                code,
                message,
            }) => {
                record.status = *status;
                let xml = format!(
                    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>{code}</Code>\
                     <Message>{message}</Message><RequestId>FAULTPROXY</RequestId></Error>"
                );
                let line = format!("{status} {}", reason_phrase(*status));
                record.body_bytes = answer(&mut client_write, &request, &line, &[], &xml).await?;
                shared.record(record);
                continue;
            }
            _ => {}
        }
        let mut faults = BodyFaults::default();
        match fault {
            Some(Fault::ResetAfter(n)) => faults.reset_at = Some(n),
            Some(Fault::FlipByte(n)) => faults.flip_at = Some(n),
            _ => {}
        }
        // Forward; an idle upstream connection the server closed is replaced once.
        let mut response = None;
        for _ in 0..2 {
            if upstream.is_none() {
                let stream = TcpStream::connect(shared.upstream).await?;
                let (r, w) = stream.into_split();
                upstream = Some((BufReader::new(r), w));
            }
            let Some((up_read, up_write)) = upstream.as_mut() else {
                continue;
            };
            let sent = async {
                up_write.write_all(&request.raw).await?;
                up_write.write_all(&body).await?;
                up_write.flush().await
            }
            .await;
            let head = match sent {
                Ok(()) => loop {
                    match read_head(up_read, false).await {
                        // Interim responses go to the client as they are.
                        Ok(Some(h)) if (100..200).contains(&h.status) => {
                            client_write.write_all(&h.raw).await?;
                        }
                        other => break other,
                    }
                },
                Err(e) => Err(e),
            };
            match head {
                Ok(Some(h)) => {
                    response = Some(h);
                    break;
                }
                _ => upstream = None,
            }
        }
        let Some(response) = response else {
            return Err(io::Error::new(
                io::ErrorKind::ConnectionAborted,
                "upstream closed",
            ));
        };
        record.status = response.status;
        let framing =
            if request.method == "HEAD" || response.status == 204 || response.status == 304 {
                Framing::None
            } else {
                match response.framing() {
                    Framing::None => Framing::UntilClose,
                    f => f,
                }
            };
        let close = response.wants_close() || matches!(framing, Framing::UntilClose);
        match &fault {
            Some(Fault::Header(name, value)) => {
                client_write
                    .write_all(&with_header(&response.raw, name, value))
                    .await?
            }
            _ => client_write.write_all(&response.raw).await?,
        }
        let Some((up_read, _)) = upstream.as_mut() else {
            return Ok(());
        };
        let mut sent = 0;
        let relayed = relay_body(up_read, &mut client_write, framing, &faults, &mut sent).await;
        let relayed = match relayed {
            Ok(r) => r,
            Err(e) => {
                // The client went away mid-body (ffprobe closes once it has what it needs):
                // what was sent until then is what the network carried.
                record.body_bytes = sent;
                shared.record(record);
                return Err(e);
            }
        };
        match relayed {
            Relayed::Done(n) => {
                record.body_bytes = n;
                shared.record(record);
            }
            Relayed::Reset(n) => {
                record.body_bytes = n;
                shared.record(record);
                // An abortive close: the client sees a reset, not a clean end of stream.
                let client = client_read
                    .into_inner()
                    .reunite(client_write)
                    .map_err(|e| io::Error::other(e.to_string()))?;
                client.set_zero_linger()?;
                drop(client);
                return Ok(());
            }
        }
        if close || request.wants_close() {
            return Ok(());
        }
    }
}

/// A response head with `name: value` set: the header of that name replaced, or added.
fn with_header(raw: &[u8], name: &str, value: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw);
    let mut out = String::new();
    for line in text.split("\r\n").filter(|l| !l.is_empty()) {
        let same = line
            .split_once(':')
            .is_some_and(|(n, _)| n.trim().eq_ignore_ascii_case(name));
        if !same {
            out.push_str(line);
            out.push_str("\r\n");
        }
    }
    out.push_str(&format!("{name}: {value}\r\n\r\n"));
    out.into_bytes()
}

/// The usual reason phrase of a status the proxy makes up.
fn reason_phrase(status: u16) -> &'static str {
    match status {
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        409 => "Conflict",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Error",
    }
}

/// Writes a proxy-made response (no body for HEAD); returns the body bytes sent.
async fn answer<W: AsyncWrite + Unpin>(
    to: &mut W,
    request: &Head,
    status: &str,
    headers: &[(&str, &str)],
    body: &str,
) -> io::Result<u64> {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/xml\r\nContent-Length: {}\r\n\
         x-amz-request-id: FAULTPROXY\r\n",
        body.len()
    );
    for (name, value) in headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    to.write_all(head.as_bytes()).await?;
    let mut sent = 0;
    if request.method != "HEAD" {
        to.write_all(body.as_bytes()).await?;
        sent = body.len() as u64;
    }
    to.flush().await?;
    Ok(sent)
}
