//! A real OCI registry for tests: Debian's `docker-registry`, bound to
//! 127.0.0.1 on a free port, storage in a temp dir removed on drop.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};

/// A running registry; killed and its storage removed on drop.
pub struct Registry {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl Drop for Registry {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Registry {
    /// Starts `docker-registry serve` and waits until it accepts
    /// connections (at most 10 s). Panics when it cannot start: callers
    /// check for the tool first (`require_tool`).
    pub fn start(name: &str) -> Registry {
        let dir = std::env::temp_dir().join(format!(
            "seawall-registry-{name}-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("create registry dir");
        let port = {
            let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind a free port");
            l.local_addr().expect("local addr").port()
        };
        let cfg = format!(
            "version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: {}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:{port}\n",
            dir.join("data").display()
        );
        std::fs::write(dir.join("config.yml"), cfg).expect("write registry config");
        let child = Command::new("docker-registry")
            .arg("serve")
            .arg(dir.join("config.yml"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start docker-registry");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
        Registry { child, port, dir }
    }
}
