//! Registry source: the distribution HTTP API over rustls, no daemon.
//! Anonymous bearer-token flow (`WWW-Authenticate: Bearer realm=...`),
//! manifests and indexes by tag or digest, blobs streamed and verified
//! against their digest. `--insecure` allows plain HTTP to loopback only.

use std::cell::RefCell;
use std::io::{self, Read};
use std::time::Duration;

use sha2::{Digest, Sha256};

use crate::oci::{self, Descriptor, Document, Fetch};
use crate::source::{Image, ImageMeta, Reference};
use crate::{ImageError, ScanOptions};

const ACCEPT: &str = "application/vnd.oci.image.index.v1+json, \
application/vnd.oci.image.manifest.v1+json, \
application/vnd.docker.distribution.manifest.list.v2+json, \
application/vnd.docker.distribution.manifest.v2+json";

pub(crate) struct Registry {
    reference: Reference,
    base: String,
    agent: ureq::Agent,
    token: RefCell<Option<String>>,
    meta: ImageMeta,
    max_json: u64,
}

fn is_loopback(host: &str) -> bool {
    let h = if let Some(rest) = host.strip_prefix('[') {
        rest.split(']').next().unwrap_or("")
    } else {
        host.rsplit_once(':').map(|(h, _)| h).unwrap_or(host)
    };
    h == "localhost"
        || h == "::1"
        || h.parse::<std::net::Ipv4Addr>()
            .is_ok_and(|ip| ip.is_loopback())
}

pub(crate) fn open(r: &Reference, opts: &ScanOptions) -> Result<Registry, ImageError> {
    let host = if r.registry == "docker.io" {
        "registry-1.docker.io".to_string()
    } else {
        r.registry.clone()
    };
    if opts.insecure && !is_loopback(&host) {
        return Err(ImageError::Registry {
            reference: r.to_string(),
            msg: "--insecure (plain HTTP) is only allowed for loopback registries".into(),
        });
    }
    let scheme = if opts.insecure { "http" } else { "https" };
    let agent = ureq::AgentBuilder::new()
        .timeout_connect(Duration::from_secs(15))
        .timeout_read(Duration::from_secs(120))
        .redirects(5)
        .build();
    let mut reg = Registry {
        reference: r.clone(),
        base: format!("{scheme}://{host}/v2/{}", r.repository),
        agent,
        token: RefCell::new(None),
        meta: ImageMeta::default(),
        max_json: opts.limits.max_json_bytes,
    };
    let top = r.manifest_ref().to_string();
    let (bytes, digest) = reg.get_manifest(&top)?;
    if let Some(want) = &r.digest {
        if &digest != want {
            return Err(reg.err(format!(
                "manifest {want} does not match its content ({digest})"
            )));
        }
    }
    let doc: Document = oci::parse_json(&format!("registry {r}: manifest"), &bytes)?;
    reg.meta = oci::resolve(&reg, doc, Some(digest), None, &opts.platform)?;
    reg.meta.name = r.to_string();
    reg.meta.repo_tags = r
        .tag
        .iter()
        .map(|t| format!("{}/{}:{t}", r.registry, r.repository))
        .collect();
    Ok(reg)
}

/// Parses `Bearer realm="...",service="...",scope="..."`.
fn parse_challenge(h: &str) -> Option<(String, Vec<(String, String)>)> {
    let rest = h
        .trim()
        .strip_prefix("Bearer ")
        .or_else(|| h.trim().strip_prefix("bearer "))?;
    let mut realm = None;
    let mut params = Vec::new();
    let mut s = rest;
    while !s.is_empty() {
        let (k, after) = s.split_once('=')?;
        let k = k.trim().trim_start_matches(',').trim().to_string();
        let after = after.trim_start();
        let (v, next) = if let Some(q) = after.strip_prefix('"') {
            let end = q.find('"')?;
            (q[..end].to_string(), &q[end + 1..])
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (after[..end].to_string(), &after[end..])
        };
        if k == "realm" {
            realm = Some(v);
        } else {
            params.push((k, v));
        }
        s = next.trim_start().trim_start_matches(',').trim_start();
    }
    Some((realm?, params))
}

fn pct(s: &str) -> String {
    let mut o = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            o.push(b as char);
        } else {
            o.push_str(&format!("%{b:02X}"));
        }
    }
    o
}

impl Registry {
    fn err(&self, msg: impl Into<String>) -> ImageError {
        ImageError::Registry {
            reference: self.reference.to_string(),
            msg: msg.into(),
        }
    }

    fn fetch_token(&self, challenge: &str) -> Result<(), ImageError> {
        let (realm, params) = parse_challenge(challenge).ok_or_else(|| {
            self.err(format!(
                "unsupported authentication challenge {challenge:?}"
            ))
        })?;
        if !realm.starts_with("https://") && !realm.starts_with("http://") {
            return Err(self.err(format!("bad token realm {realm:?}")));
        }
        let mut url = realm.clone();
        let mut sep = if url.contains('?') { '&' } else { '?' };
        let has_scope = params.iter().any(|(k, _)| k == "scope");
        for (k, v) in &params {
            url.push_str(&format!("{sep}{}={}", pct(k), pct(v)));
            sep = '&';
        }
        if !has_scope {
            url.push_str(&format!(
                "{sep}scope={}",
                pct(&format!("repository:{}:pull", self.reference.repository))
            ));
        }
        let resp = self
            .agent
            .get(&url)
            .call()
            .map_err(|e| self.err(format!("token request to {realm} failed: {e}")))?;
        let mut body = Vec::new();
        resp.into_reader()
            .take(self.max_json)
            .read_to_end(&mut body)
            .map_err(|e| self.err(format!("token response: {e}")))?;
        let v: serde_json::Value = serde_json::from_slice(&body)
            .map_err(|e| self.err(format!("token response is not JSON: {e}")))?;
        let tok = v
            .get("token")
            .or_else(|| v.get("access_token"))
            .and_then(|t| t.as_str())
            .ok_or_else(|| self.err("token response has no token"))?;
        *self.token.borrow_mut() = Some(tok.to_string());
        Ok(())
    }

    /// GET with the token flow; returns the response.
    fn get(&self, url: &str, accept: Option<&str>) -> Result<ureq::Response, ImageError> {
        for attempt in 0..2 {
            let mut req = self.agent.get(url);
            if let Some(a) = accept {
                req = req.set("Accept", a);
            }
            if let Some(t) = self.token.borrow().as_deref() {
                req = req.set("Authorization", &format!("Bearer {t}"));
            }
            match req.call() {
                Ok(r) => return Ok(r),
                Err(ureq::Error::Status(401, r)) if attempt == 0 => {
                    let ch = r.header("www-authenticate").unwrap_or("").to_string();
                    if ch.is_empty() {
                        return Err(self.err(format!("{url}: unauthorized")));
                    }
                    self.fetch_token(&ch)?;
                }
                Err(ureq::Error::Status(code, _)) => {
                    let what = match code {
                        401 | 403 => "access denied (private repository?)",
                        404 => "not found",
                        _ => "request failed",
                    };
                    return Err(self.err(format!("{url}: HTTP {code}: {what}")));
                }
                Err(e) => {
                    // ureq's transport errors already start with the URL
                    let e = e.to_string();
                    let msg = if e.starts_with(url) {
                        e
                    } else {
                        format!("{url}: {e}")
                    };
                    return Err(self.err(msg));
                }
            }
        }
        Err(self.err(format!("{url}: unauthorized after token exchange")))
    }

    fn read_limited(&self, r: ureq::Response, what: &str) -> Result<Vec<u8>, ImageError> {
        let mut body = Vec::new();
        r.into_reader()
            .take(self.max_json + 1)
            .read_to_end(&mut body)
            .map_err(|e| self.err(format!("{what}: {e}")))?;
        if body.len() as u64 > self.max_json {
            return Err(self.err(format!("{what}: larger than {} bytes", self.max_json)));
        }
        Ok(body)
    }

    fn get_manifest(&self, reference: &str) -> Result<(Vec<u8>, String), ImageError> {
        let url = format!("{}/manifests/{reference}", self.base);
        let r = self.get(&url, Some(ACCEPT))?;
        let body = self.read_limited(r, &format!("manifest {reference}"))?;
        let digest = format!("sha256:{}", hex::encode(Sha256::digest(&body)));
        Ok((body, digest))
    }
}

impl Fetch for Registry {
    fn what(&self) -> String {
        format!("registry {}", self.reference)
    }
    fn manifest(&self, desc: &Descriptor) -> Result<Vec<u8>, ImageError> {
        oci::digest_hex(&self.what(), &desc.digest)?;
        let (b, d) = self.get_manifest(&desc.digest)?;
        if d != desc.digest {
            return Err(self.err(format!(
                "manifest {} does not match its content ({d})",
                desc.digest
            )));
        }
        Ok(b)
    }
    fn blob_json(&self, desc: &Descriptor) -> Result<Vec<u8>, ImageError> {
        oci::digest_hex(&self.what(), &desc.digest)?;
        let url = format!("{}/blobs/{}", self.base, desc.digest);
        let r = self.get(&url, None)?;
        let b = self.read_limited(r, &format!("blob {}", desc.digest))?;
        crate::layer::verify_digest(&self.what(), &desc.digest, &b)?;
        Ok(b)
    }
}

/// Streams a blob and fails at its end when the content does not match the
/// digest.
struct VerifyRead<R> {
    inner: R,
    hasher: Option<Sha256>,
    want: String,
}

impl<R: Read> Read for VerifyRead<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        if n == 0 {
            if let Some(h) = self.hasher.take() {
                let got = format!("sha256:{}", hex::encode(h.finalize()));
                if got != self.want {
                    return Err(io::Error::other(format!(
                        "blob {} does not match its content (sha256 is {got})",
                        self.want
                    )));
                }
            }
        } else if let Some(h) = self.hasher.as_mut() {
            h.update(&buf[..n]);
        }
        Ok(n)
    }
}

impl Image for Registry {
    fn kind(&self) -> &'static str {
        "registry"
    }
    fn meta(&self) -> &ImageMeta {
        &self.meta
    }
    fn open_layer(&self, idx: usize) -> Result<Box<dyn Read + '_>, ImageError> {
        let l = self
            .meta
            .layers
            .get(idx)
            .ok_or_else(|| self.err("layer index out of range"))?;
        let url = format!("{}/blobs/{}", self.base, l.locator);
        let r = self.get(&url, None)?;
        let reader: Box<dyn Read + Send + Sync> = r.into_reader();
        let reader: Box<dyn Read> = match l.size {
            Some(s) => Box::new(reader.take(s)),
            None => reader,
        };
        Ok(Box::new(VerifyRead {
            inner: reader,
            hasher: Some(Sha256::new()),
            want: l.locator.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn challenge_and_loopback() {
        let (realm, p) = parse_challenge(
            r#"Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull""#,
        )
        .unwrap();
        assert_eq!(realm, "https://auth.docker.io/token");
        assert_eq!(
            p[0],
            ("service".to_string(), "registry.docker.io".to_string())
        );
        assert_eq!(p[1].1, "repository:library/alpine:pull");
        assert!(parse_challenge("Basic realm=x").is_none());
        assert!(is_loopback("127.0.0.1:5000"));
        assert!(is_loopback("localhost"));
        assert!(is_loopback("[::1]:5000"));
        assert!(!is_loopback("example.com:5000"));
        assert_eq!(pct("repository:a/b:pull"), "repository%3Aa%2Fb%3Apull");
    }
}
