//! `seawall admission certs`: a CA and a serving certificate for the
//! webhook's Service (`NAME.NS.svc`).

use std::path::{Path, PathBuf};

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};

use crate::Error;

/// Files written by [`write_certs`].
#[derive(Debug, Clone)]
pub struct CertFiles {
    pub ca_cert: PathBuf,
    pub ca_key: PathBuf,
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// DNS names a webhook Service is reached by.
pub fn service_names(service: &str, namespace: &str) -> Vec<String> {
    vec![
        service.to_string(),
        format!("{service}.{namespace}"),
        format!("{service}.{namespace}.svc"),
        format!("{service}.{namespace}.svc.cluster.local"),
    ]
}

/// Generates a CA and a serving certificate for `names` (DNS names or IP
/// addresses) and writes `ca.crt`, `ca.key`, `tls.crt`, `tls.key` in `dir`.
/// Private keys are written with mode 0600.
pub fn write_certs(dir: &Path, names: &[String]) -> Result<CertFiles, Error> {
    let io = |path: &Path, e: std::io::Error| Error::Io {
        path: path.display().to_string(),
        source: e,
    };
    let tls = |e: rcgen::Error| Error::Tls(format!("certificate generation failed: {e}"));
    std::fs::create_dir_all(dir).map_err(|e| io(dir, e))?;

    let ca_key = KeyPair::generate().map_err(tls)?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).map_err(tls)?;
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "seawall admission CA");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params.self_signed(&ca_key).map_err(tls)?;
    let issuer = Issuer::new(ca_params, &ca_key);

    let key = KeyPair::generate().map_err(tls)?;
    let mut params = CertificateParams::new(names.to_vec()).map_err(tls)?;
    params.distinguished_name.push(
        DnType::CommonName,
        names.first().cloned().unwrap_or_else(|| "seawall".into()),
    );
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
    ];
    let cert = params.signed_by(&key, &issuer).map_err(tls)?;

    let files = CertFiles {
        ca_cert: dir.join("ca.crt"),
        ca_key: dir.join("ca.key"),
        cert: dir.join("tls.crt"),
        key: dir.join("tls.key"),
    };
    write_file(&files.ca_cert, ca_cert.pem().as_bytes(), false)
        .map_err(|e| io(&files.ca_cert, e))?;
    write_file(&files.ca_key, ca_key.serialize_pem().as_bytes(), true)
        .map_err(|e| io(&files.ca_key, e))?;
    // The serving chain: leaf then CA, so clients that only know the CA
    // still build the path.
    let chain = format!("{}{}", cert.pem(), ca_cert.pem());
    write_file(&files.cert, chain.as_bytes(), false).map_err(|e| io(&files.cert, e))?;
    write_file(&files.key, key.serialize_pem().as_bytes(), true).map_err(|e| io(&files.key, e))?;
    Ok(files)
}

/// Writes through a temporary file and a rename, so a server watching the
/// file for hot reload never reads half of it.
fn write_file(path: &Path, data: &[u8], private: bool) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    {
        use std::io::Write;
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(if private { 0o600 } else { 0o644 });
        }
        let mut f = opts.open(&tmp)?;
        f.write_all(data)?;
        f.sync_all()?;
    }
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_ca_and_leaf_with_service_sans() {
        let dir = std::env::temp_dir().join(format!("seawall-certs-{}", std::process::id()));
        let files = write_certs(&dir, &service_names("seawall", "security")).unwrap();
        let chain = std::fs::read_to_string(&files.cert).unwrap();
        assert_eq!(chain.matches("BEGIN CERTIFICATE").count(), 2);
        let key = std::fs::read_to_string(&files.key).unwrap();
        assert!(key.contains("PRIVATE KEY"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&files.key).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
