//! `moto_server` for tests: one server per test, on a free port, stopped on drop.

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

/// Where `scripts/setup-moto.sh` puts the venv's `moto_server`.
const DEFAULT_MOTO: &str = "/root/.cache/trove-venv/bin/moto_server";

/// How long a server may take to start (Python imports are slow on a busy machine).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// The AWS environment of the test process: shared config and credentials files with known
/// profiles, set once through `AWS_CONFIG_FILE` and `AWS_SHARED_CREDENTIALS_FILE`.
///
/// Profiles: `default` (region us-east-1, keys `test`/`test`, which moto accepts), `wrong` (keys
/// no server knows) and `nocreds` (a region and no keys at all).
#[derive(Debug)]
pub struct AwsTestEnv {
    /// The folder that holds both files.
    pub dir: PathBuf,
    credentials: Mutex<String>,
}

impl AwsTestEnv {
    /// Adds a profile with these keys to the shared credentials file (replaced whole, by a
    /// rename, so that clients reading it meanwhile see the old or the new file).
    pub fn add_profile(&self, name: &str, access_key_id: &str, secret_access_key: &str) {
        let mut text = self.credentials.lock().unwrap_or_else(|e| e.into_inner());
        text.push_str(&format!(
            "\n[{name}]\naws_access_key_id = {access_key_id}\naws_secret_access_key = {secret_access_key}\n"
        ));
        let path = self.dir.join("credentials");
        let tmp = self.dir.join(format!("credentials.{name}.tmp"));
        fs::write(&tmp, text.as_bytes()).expect("write the test AWS credentials");
        fs::rename(&tmp, &path).expect("replace the test AWS credentials");
        let config = self.dir.join("config");
        let mut config_text = fs::read_to_string(&config).unwrap_or_default();
        config_text.push_str(&format!("\n[profile {name}]\nregion = us-east-1\n"));
        let tmp = self.dir.join(format!("config.{name}.tmp"));
        fs::write(&tmp, config_text).expect("write the test AWS config");
        fs::rename(&tmp, &config).expect("replace the test AWS config");
    }
}

/// Sets the AWS environment of this test process once (see [`AwsTestEnv`]), before any client is
/// built: credentials come from the files, never from the machine's own settings; the instance
/// metadata service is disabled so that a missing credential fails at once; `AWS_CA_BUNDLE` is
/// removed (child processes such as rclone refuse plain-http endpoints with it).
///
/// Environment variables are process-wide: this runs under a `OnceLock`, and every test that
/// talks to AWS calls it (through [`MotoServer::start`]) before building a client.
pub fn aws_test_env() -> &'static AwsTestEnv {
    static ENV: OnceLock<AwsTestEnv> = OnceLock::new();
    ENV.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("trove-testkit-aws-{}", std::process::id()));
        fs::create_dir_all(&dir).expect("create the test AWS folder");
        let config = dir.join("config");
        let credentials = dir.join("credentials");
        fs::write(
            &config,
            "[default]\nregion = us-east-1\n\n[profile wrong]\nregion = us-east-1\n\n\
             [profile nocreds]\nregion = us-east-1\n",
        )
        .expect("write the test AWS config");
        let credentials_text =
            "[default]\naws_access_key_id = test\naws_secret_access_key = test\n\n\
             [wrong]\naws_access_key_id = AKIANOSUCHKEY0000000\n\
             aws_secret_access_key = wrongwrongwrongwrongwrongwrongwrongwrong\n";
        fs::write(&credentials, credentials_text).expect("write the test AWS credentials");
        for name in [
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
            "AWS_SESSION_TOKEN",
            "AWS_PROFILE",
            "AWS_DEFAULT_PROFILE",
            "AWS_CA_BUNDLE",
            "AWS_ENDPOINT_URL",
            "AWS_ENDPOINT_URL_S3",
            "AWS_WEB_IDENTITY_TOKEN_FILE",
            "AWS_ROLE_ARN",
            "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
            "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        ] {
            std::env::remove_var(name);
        }
        std::env::set_var("AWS_CONFIG_FILE", &config);
        std::env::set_var("AWS_SHARED_CREDENTIALS_FILE", &credentials);
        std::env::set_var("AWS_EC2_METADATA_DISABLED", "true");
        std::env::set_var("AWS_REGION", "us-east-1");
        AwsTestEnv {
            dir,
            credentials: Mutex::new(credentials_text.to_owned()),
        }
    })
}

/// Options of a [`MotoServer`].
#[derive(Debug, Clone, Default)]
pub struct MotoOptions {
    /// Enforce IAM authentication after this many requests (moto's
    /// `INITIAL_NO_AUTH_ACTION_COUNT`): the first requests set up users and buckets, later ones
    /// are checked against moto's IAM (unknown keys → `InvalidAccessKeyId`, a user without a
    /// policy → `AccessDenied`). `None`: moto accepts any credentials.
    pub enforce_auth_after: Option<u32>,
}

/// A running `moto_server` on 127.0.0.1; stopped when dropped.
#[derive(Debug)]
pub struct MotoServer {
    addr: SocketAddr,
    watchdog: Child,
    stdin: Option<ChildStdin>,
    log: PathBuf,
}

impl MotoServer {
    /// Starts a server that accepts any credentials. Panics with what to do when the venv is
    /// missing or the server does not start.
    pub fn start() -> MotoServer {
        MotoServer::start_with(&MotoOptions::default())
    }

    /// Starts a server with `options`.
    pub fn start_with(options: &MotoOptions) -> MotoServer {
        aws_test_env();
        let moto = moto_path();
        let mut last_error = String::new();
        // A port found free can be taken by another test before moto binds it: try again.
        for _ in 0..3 {
            match spawn(&moto, options) {
                Ok(server) => return server,
                Err(e) => last_error = e,
            }
        }
        panic!("moto_server did not start: {last_error}");
    }

    /// The endpoint URL, e.g. `http://127.0.0.1:41234`.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The venv's Python, which has boto3 (a dependency of moto): for set-up steps Trove has no
    /// client for, such as IAM users.
    pub fn python(&self) -> PathBuf {
        moto_path().with_file_name("python3")
    }

    /// Runs a Python snippet with the venv's Python and `ENDPOINT` set to this server; panics
    /// with its output when it fails, returns its stdout otherwise.
    pub fn run_python(&self, script: &str) -> String {
        let output = Command::new(self.python())
            .arg("-c")
            .arg(script)
            .env("ENDPOINT", self.endpoint())
            .env_remove("AWS_CA_BUNDLE")
            .output()
            .expect("start the venv's python3");
        assert!(
            output.status.success(),
            "python failed: {}\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    }
}

impl Drop for MotoServer {
    fn drop(&mut self) {
        // Closing stdin makes the watchdog kill moto and exit.
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.watchdog.try_wait() {
                let _ = fs::remove_file(&self.log);
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.watchdog.kill();
        let _ = self.watchdog.wait();
    }
}

fn moto_path() -> PathBuf {
    let path = std::env::var_os("TROVE_MOTO")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(DEFAULT_MOTO));
    if !path.exists() {
        panic!(
            "moto_server not found at {}: run scripts/setup.sh (or scripts/setup-moto.sh), \
             or point TROVE_MOTO at a moto_server executable",
            path.display()
        );
    }
    path
}

fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind a free port on 127.0.0.1");
    listener.local_addr().expect("local address").port()
}

fn spawn(moto: &Path, options: &MotoOptions) -> Result<MotoServer, String> {
    let port = free_port();
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let log = aws_test_env().dir.join(format!("moto-{port}.log"));
    let log_file = fs::File::create(&log).map_err(|e| format!("create {}: {e}", log.display()))?;
    let log_err = log_file
        .try_clone()
        .map_err(|e| format!("clone {}: {e}", log.display()))?;
    // The watchdog shell stops moto when its stdin closes: on drop, or when the test process
    // dies in any way (the pipe's writer goes with it).
    let mut command = Command::new("sh");
    command
        .arg("-c")
        .arg(r#""$0" -H 127.0.0.1 -p "$1" & pid=$!; read -r _; kill "$pid"; wait "$pid""#)
        .arg(moto)
        .arg(port.to_string())
        .stdin(Stdio::piped())
        .stdout(log_file)
        .stderr(log_err)
        .env_remove("AWS_CA_BUNDLE");
    if let Some(n) = options.enforce_auth_after {
        command.env("INITIAL_NO_AUTH_ACTION_COUNT", n.to_string());
    }
    let mut watchdog = command
        .spawn()
        .map_err(|e| format!("start {}: {e}", moto.display()))?;
    let stdin = watchdog.stdin.take();
    let mut server = MotoServer {
        addr,
        watchdog,
        stdin,
        log,
    };
    let deadline = Instant::now() + START_TIMEOUT;
    loop {
        if ready(addr) {
            return Ok(server);
        }
        if let Ok(Some(status)) = server.watchdog.try_wait() {
            let log = fs::read_to_string(&server.log).unwrap_or_default();
            return Err(format!(
                "moto_server exited ({status}) on port {port}:\n{log}"
            ));
        }
        if Instant::now() > deadline {
            return Err(format!(
                "moto_server not ready on port {port} after {START_TIMEOUT:?}"
            ));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Whether moto answers HTTP: a listening socket alone can precede the app's start.
fn ready(addr: SocketAddr) -> bool {
    let Ok(mut stream) = TcpStream::connect_timeout(&addr, Duration::from_millis(200)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let request = format!("GET /moto-api/ HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    if stream.write_all(request.as_bytes()).is_err() {
        return false;
    }
    let mut first = [0u8; 12];
    matches!(stream.read(&mut first), Ok(n) if n >= 12 && first.starts_with(b"HTTP/1."))
}
