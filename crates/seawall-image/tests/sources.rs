//! Images built in the test (no podman needed): every source kind, layer
//! merge semantics, and the bad inputs the issue lists.

use std::io::Write;
use std::path::Path;

use seawall_image::{scan, Limits, ScanOptions};
use sha2::{Digest, Sha256};

fn sha(b: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(b)))
}

enum E<'a> {
    File(&'a str, &'a [u8]),
    Link(&'a str, &'a str),
    Hard(&'a str, &'a str),
}

/// A layer tar; paths are written raw so bad ones (`../x`, `/x`) survive.
fn layer(entries: &[E]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for e in entries {
        let mut h = tar::Header::new_old();
        let (path, data, ty, link): (&str, &[u8], tar::EntryType, Option<&str>) = match e {
            E::File(p, d) => (p, d, tar::EntryType::Regular, None),
            E::Link(p, t) => (p, b"", tar::EntryType::Symlink, Some(t)),
            E::Hard(p, t) => (p, b"", tar::EntryType::Link, Some(t)),
        };
        let name = &mut h.as_old_mut().name;
        name[..path.len()].copy_from_slice(path.as_bytes());
        if let Some(t) = link {
            h.as_old_mut().linkname[..t.len()].copy_from_slice(t.as_bytes());
        }
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_entry_type(ty);
        h.set_cksum();
        b.append(&h, data).unwrap();
    }
    b.into_inner().unwrap()
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

fn config(diff_ids: &[String]) -> Vec<u8> {
    serde_json::to_vec(&serde_json::json!({
        "architecture": "amd64", "os": "linux",
        "rootfs": {"type": "layers", "diff_ids": diff_ids}
    }))
    .unwrap()
}

fn tar_of(files: &[(String, Vec<u8>)]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for (p, d) in files {
        let mut h = tar::Header::new_gnu();
        h.set_size(d.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        b.append_data(&mut h, p, &d[..]).unwrap();
    }
    b.into_inner().unwrap()
}

/// `docker save` layout: manifest.json + config + uncompressed layer tars.
fn docker_archive(layers: &[Vec<u8>]) -> Vec<u8> {
    let diffs: Vec<String> = layers.iter().map(|l| sha(l)).collect();
    let cfg = config(&diffs);
    let cfg_name = format!("{}.json", &sha(&cfg)[7..]);
    let mut files = vec![];
    let mut names = vec![];
    for (l, d) in layers.iter().zip(&diffs) {
        let n = format!("{}/layer.tar", &d[7..]);
        names.push(n.clone());
        files.push((n, l.clone()));
    }
    let manifest =
        serde_json::json!([{"Config": cfg_name, "RepoTags": ["test:latest"], "Layers": names}]);
    files.push((cfg_name, cfg));
    files.push((
        "manifest.json".into(),
        serde_json::to_vec(&manifest).unwrap(),
    ));
    tar_of(&files)
}

/// OCI layout files (relative path, bytes) with gzip layers.
fn oci_files(layers: &[Vec<u8>], drop_layer_blob: bool) -> Vec<(String, Vec<u8>)> {
    let diffs: Vec<String> = layers.iter().map(|l| sha(l)).collect();
    let cfg = config(&diffs);
    let mut files = vec![(
        "oci-layout".to_string(),
        br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
    )];
    let mut descs = vec![];
    for (i, l) in layers.iter().enumerate() {
        let z = gz(l);
        descs.push(serde_json::json!({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": sha(&z), "size": z.len()}));
        if !(drop_layer_blob && i == 0) {
            files.push((format!("blobs/sha256/{}", &sha(&z)[7..]), z));
        }
    }
    let manifest = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sha(&cfg), "size": cfg.len()},
        "layers": descs,
    }))
    .unwrap();
    let index = serde_json::to_vec(&serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": sha(&manifest), "size": manifest.len(),
                       "annotations": {"org.opencontainers.image.ref.name": "v1"}}],
    }))
    .unwrap();
    files.push((format!("blobs/sha256/{}", &sha(&cfg)[7..]), cfg));
    files.push((format!("blobs/sha256/{}", &sha(&manifest)[7..]), manifest));
    files.push(("index.json".into(), index));
    files
}

fn write_dir(dir: &Path, files: &[(String, Vec<u8>)]) {
    for (p, d) in files {
        let p = dir.join(p);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, d).unwrap();
    }
}

fn opts(cache: Option<&Path>) -> ScanOptions {
    ScanOptions {
        cache_dir: cache.map(Path::to_path_buf),
        ..ScanOptions::default()
    }
}

const OS_RELEASE: &[u8] = b"PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\nID=debian\n";

fn status(pkgs: &[(&str, &str)]) -> Vec<u8> {
    let mut s = String::new();
    for (n, v) in pkgs {
        s.push_str(&format!(
            "Package: {n}\nStatus: install ok installed\nPriority: optional\nArchitecture: amd64\nVersion: {v}\nDescription: test\n\n"
        ));
    }
    s.into_bytes()
}

fn two_layers() -> Vec<Vec<u8>> {
    let st1 = status(&[("libfoo", "1.0-1"), ("less", "590-2")]);
    let st2 = status(&[("libfoo", "1.0-2")]);
    let meta = b"Metadata-Version: 2.1\nName: hidden\nVersion: 1.0\n";
    vec![
        layer(&[
            E::File("usr/lib/os-release", OS_RELEASE),
            E::Link("etc/os-release", "../usr/lib/os-release"),
            E::File("var/lib/dpkg/status", &st1),
            E::File("opt/py/site-packages/hidden-1.0.dist-info/METADATA", meta),
        ]),
        layer(&[
            E::File("var/lib/dpkg/status", &st2),
            E::File("opt/py/site-packages/.wh.hidden-1.0.dist-info", b""),
        ]),
    ]
}

fn names(s: &seawall_image::ImageScan) -> Vec<String> {
    s.packages
        .iter()
        .map(|p| format!("{} {}", p.name, p.version))
        .collect()
}

#[test]
fn every_source_kind_merges_layers_the_same_way() {
    let tmp = tempfile::tempdir().unwrap();
    let layers = two_layers();
    let da = tmp.path().join("img.docker.tar");
    std::fs::write(&da, docker_archive(&layers)).unwrap();
    let layout = tmp.path().join("layout");
    write_dir(&layout, &oci_files(&layers, false));
    let oa = tmp.path().join("img.oci.tar");
    std::fs::write(&oa, tar_of(&oci_files(&layers, false))).unwrap();
    let diff_top = sha(&layers[1]);
    let mut results = vec![];
    for target in [
        format!("docker-archive:{}", da.display()),
        da.display().to_string(),
        format!("oci-archive:{}", oa.display()),
        format!("oci:{}", layout.display()),
        format!("oci:{}:v1", layout.display()),
        layout.display().to_string(),
    ] {
        let s = scan(&target, &opts(None)).unwrap_or_else(|e| panic!("{target}: {e}"));
        let os =
            s.os.as_ref()
                .expect("os detected through the etc/os-release symlink");
        assert_eq!((os.family.as_str(), os.version.as_str()), ("debian", "12"));
        assert_eq!(s.artifact.layers.len(), 2);
        assert_eq!(names(&s), vec!["libfoo 1.0-2"], "{target}");
        let p = &s.packages[0];
        assert_eq!(p.locations[0].layer.as_deref(), Some(diff_top.as_str()));
        assert_eq!(p.locations[0].path, "var/lib/dpkg/status");
        assert!(p.purl.contains("distro=debian-12"), "{}", p.purl);
        results.push(s.packages.clone());
    }
    assert!(results.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn layer_cache_is_used_and_gives_the_same_result() {
    let tmp = tempfile::tempdir().unwrap();
    let da = tmp.path().join("img.tar");
    std::fs::write(&da, docker_archive(&two_layers())).unwrap();
    let cache = tmp.path().join("cache");
    let target = da.display().to_string();
    let cold = scan(&target, &opts(Some(&cache))).unwrap();
    assert!(cold.artifact.layers.iter().all(|l| !l.cached));
    let warm = scan(&target, &opts(Some(&cache))).unwrap();
    assert!(warm.artifact.layers.iter().all(|l| l.cached));
    assert_eq!(cold.packages, warm.packages);
    assert_eq!(cold.os, warm.os);
}

#[test]
fn hard_links_are_followed_within_the_layer() {
    let tmp = tempfile::tempdir().unwrap();
    let st = status(&[("linked", "2.0")]);
    let l = layer(&[
        E::File("etc/os-release", OS_RELEASE),
        E::File("srv/status.orig", &st),
        E::Hard("var/lib/dpkg/status", "srv/status.orig"),
    ]);
    let da = tmp.path().join("img.tar");
    std::fs::write(&da, docker_archive(&[l])).unwrap();
    let s = scan(&da.display().to_string(), &opts(None)).unwrap();
    assert_eq!(names(&s), vec!["linked 2.0"]);
}

fn err_of(target: &str) -> String {
    let e = scan(target, &opts(None)).unwrap_err().to_string();
    assert!(!e.contains('\n'), "one line: {e}");
    e
}

#[test]
fn bad_inputs_give_one_line_errors_naming_the_file() {
    let tmp = tempfile::tempdir().unwrap();
    let p = |n: &str| tmp.path().join(n);

    // Truncated archive (cut inside the layer).
    let full = docker_archive(&two_layers());
    std::fs::write(p("trunc.tar"), &full[..full.len() / 2]).unwrap();
    let e = err_of(&p("trunc.tar").display().to_string());
    assert!(e.contains("trunc.tar") && e.contains("truncated"), "{e}");

    // A tar that is not an image.
    std::fs::write(
        p("plain.tar"),
        tar_of(&[("hello.txt".into(), b"hi".to_vec())]),
    )
    .unwrap();
    let e = err_of(&p("plain.tar").display().to_string());
    assert!(
        e.contains("plain.tar") && e.contains("not a container image"),
        "{e}"
    );

    // Not a tar at all.
    std::fs::write(
        p("junk.tar"),
        b"this is not a tar file, just some text\n".repeat(20),
    )
    .unwrap();
    let e = err_of(&p("junk.tar").display().to_string());
    assert!(e.contains("junk.tar"), "{e}");

    // Binary noise: the message says what is wrong and quotes none of it.
    let noise: Vec<u8> = (0..3000u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    std::fs::write(p("noise.bin"), &noise).unwrap();
    let e = err_of(&format!("docker-archive:{}", p("noise.bin").display()));
    assert!(
        e.contains("noise.bin") && e.contains("invalid tar header"),
        "{e}"
    );
    assert!(
        e.chars().all(|c| c.is_ascii() && !c.is_ascii_control()),
        "{e:?}"
    );

    // Manifest naming a missing blob (layout and archive).
    write_dir(&p("missing"), &oci_files(&two_layers(), true));
    let e = err_of(&format!("oci:{}", p("missing").display()));
    assert!(
        e.contains("missing") && e.contains("which is missing"),
        "{e}"
    );
    std::fs::write(
        p("missing.oci.tar"),
        tar_of(&oci_files(&two_layers(), true)),
    )
    .unwrap();
    let e = err_of(&format!("oci-archive:{}", p("missing.oci.tar").display()));
    assert!(
        e.contains("missing.oci.tar") && e.contains("which is missing"),
        "{e}"
    );

    // Layer entries escaping the root.
    for (name, bad) in [
        ("dotdot.tar", "../../etc/passwd"),
        ("abs.tar", "/etc/passwd"),
    ] {
        let l = layer(&[E::File("etc/ok", b"x"), E::File(bad, b"pwned")]);
        std::fs::write(p(name), docker_archive(&[l])).unwrap();
        let e = err_of(&p(name).display().to_string());
        assert!(e.contains(name) && e.contains("etc/passwd"), "{e}");
    }
    assert!(!Path::new("/etc/passwd.pwned").exists());

    // Symlink loop on the release file.
    let l = layer(&[
        E::Link("etc/os-release", "../usr/lib/os-release"),
        E::Link("usr/lib/os-release", "/etc/os-release"),
    ]);
    std::fs::write(p("loop.tar"), docker_archive(&[l])).unwrap();
    let e = err_of(&p("loop.tar").display().to_string());
    assert!(e.contains("loop.tar") && e.contains("symlink loop"), "{e}");
}

#[test]
fn gzip_bomb_is_refused_with_bounded_work() {
    let tmp = tempfile::tempdir().unwrap();
    // 80 MiB of zeros in one file: gzip makes it ~1000x smaller.
    let mut b = tar::Builder::new(Vec::new());
    let mut h = tar::Header::new_gnu();
    let size = 80u64 << 20;
    h.set_size(size);
    h.set_mode(0o644);
    h.set_cksum();
    b.append_data(&mut h, "zeros", std::io::repeat(0).take_bytes(size))
        .unwrap();
    let raw = b.into_inner().unwrap();
    let layers = vec![raw];
    write_dir(&tmp.path().join("bomb"), &oci_files(&layers, false));
    let e = err_of(&format!("oci:{}", tmp.path().join("bomb").display()));
    assert!(
        e.contains("bomb") && e.contains("decompression bomb"),
        "{e}"
    );
    // An explicit looser limit accepts it: the bound is what refused it.
    let loose = ScanOptions {
        cache_dir: None,
        limits: Limits {
            max_ratio: 5000,
            ..Limits::default()
        },
        ..ScanOptions::default()
    };
    scan(
        &format!("oci:{}", tmp.path().join("bomb").display()),
        &loose,
    )
    .unwrap();
}

trait TakeBytes {
    fn take_bytes(self, n: u64) -> std::io::Take<std::io::Repeat>;
}
impl TakeBytes for std::io::Repeat {
    fn take_bytes(self, n: u64) -> std::io::Take<std::io::Repeat> {
        std::io::Read::take(self, n)
    }
}
