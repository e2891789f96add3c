//! Differential tests: our comparators against the real tools on at least
//! 10,000 random pairs each, requiring 100% agreement.
//!
//! Oracles: `dpkg --compare-versions`, rpm 4.18's `rpm.vercmp` (one lua
//! call loops over every pair), python `packaging.version` (one process),
//! node's `semver` package (installed with npm into a cache folder).

use std::cmp::Ordering;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use seawall_version::{compare, Scheme};

const PAIRS: usize = 10_000;

/// xorshift64*: deterministic, seeded per test so failures reproduce.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn chance(&mut self, pct: usize) -> bool {
        self.below(100) < pct
    }
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.below(xs.len())]
    }
    fn num(&mut self) -> String {
        match self.below(10) {
            0 => "0".into(),
            1 => format!("0{}", self.below(10)),
            2 => format!("{}", self.below(100_000)),
            _ => format!("{}", self.below(4)),
        }
    }
}

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("seawall-version-oracle-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

fn write_pairs(path: &Path, pairs: &[(String, String)]) {
    let mut f = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    for (a, b) in pairs {
        writeln!(f, "{a}\t{b}").unwrap();
    }
}

fn parse_results(out: &[u8]) -> Vec<Ordering> {
    String::from_utf8_lossy(out)
        .lines()
        .map(|l| match l.trim() {
            "-1" | "<" => Ordering::Less,
            "0" | "=" => Ordering::Equal,
            "1" | ">" => Ordering::Greater,
            other => panic!("oracle printed {other:?}"),
        })
        .collect()
}

fn check(scheme: Scheme, pairs: &[(String, String)], oracle: &[Ordering]) {
    assert_eq!(
        oracle.len(),
        pairs.len(),
        "oracle answered {} of {} pairs",
        oracle.len(),
        pairs.len()
    );
    let mut bad = Vec::new();
    let mut seen = [0usize; 3];
    for ((a, b), want) in pairs.iter().zip(oracle) {
        seen[(*want as i32 + 1) as usize] += 1;
        let got = compare(scheme, a, b);
        if got != *want {
            bad.push(format!("{a:?} vs {b:?}: oracle {want:?}, ours {got:?}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{scheme:?}: {} disagreements, first: {:#?}",
        bad.len(),
        &bad[..bad.len().min(20)]
    );
    // the generator must exercise every outcome, or the test proves little
    assert!(
        seen.iter().all(|&n| n > PAIRS / 50),
        "{scheme:?}: outcome spread too narrow {seen:?}"
    );
}

/// A second version close to the first: same string, or one edit.
fn mutate(r: &mut Rng, v: &str, alphabet: &[&str]) -> String {
    let mut s: Vec<char> = v.chars().collect();
    match r.below(5) {
        0 => return v.to_string(),
        1 if !s.is_empty() => {
            let i = r.below(s.len());
            s.remove(i);
        }
        _ => {
            let i = r.below(s.len() + 1);
            for c in r.pick(alphabet).chars().rev() {
                s.insert(i, c);
            }
        }
    }
    s.into_iter().collect()
}

fn dpkg_version(r: &mut Rng) -> String {
    let mut v = String::new();
    if r.chance(15) {
        v.push_str(&format!("{}:", r.below(3)));
    }
    v.push_str(&r.num());
    for _ in 0..r.below(4) {
        v.push_str(r.pick(&[".", ".", "+", "~", "", "a", "b", "z", "dfsg", "~rc", "+b"]));
        if r.chance(70) {
            v.push_str(&r.num());
        }
    }
    if r.chance(60) {
        v.push('-');
        v.push_str(&r.num());
        for _ in 0..r.below(3) {
            v.push_str(r.pick(&["~deb12u", "+deb12u", ".", "~", "+b", "ubuntu", "a"]));
            v.push_str(&r.num());
        }
    }
    v
}

fn valid_dpkg(v: &str) -> bool {
    // keep to what dpkg accepts without complaint: upstream starts with a
    // digit, revision non-empty when present
    let Some(p) = seawall_version::dpkg::parse(v) else {
        return false;
    };
    p.upstream
        .as_bytes()
        .first()
        .is_some_and(u8::is_ascii_digit)
        && (!v.contains('-') || !p.revision.is_empty())
        && p.revision
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"+.~".contains(&c))
        && p.upstream
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || b"+.~-".contains(&c))
}

#[test]
fn dpkg_agrees_with_dpkg_compare_versions() {
    if !seawall_testutil::require_tool("dpkg_agrees_with_dpkg_compare_versions", "dpkg") {
        return;
    }
    let mut r = Rng(0x5eed_d9c6);
    let mut pairs = Vec::new();
    while pairs.len() < PAIRS {
        let a = dpkg_version(&mut r);
        let b = if r.chance(60) {
            mutate(&mut r, &a, &["0", "1", "~", "+", ".", "a", "9"])
        } else {
            dpkg_version(&mut r)
        };
        if valid_dpkg(&a) && valid_dpkg(&b) {
            pairs.push((a, b));
        }
    }
    // two shell loops in parallel; each pair costs one or two dpkg runs
    let half = pairs.len() / 2;
    let script = r#"while IFS="$(printf '\t')" read -r a b; do
        if dpkg --compare-versions "$a" lt "$b"; then echo "<";
        elif dpkg --compare-versions "$a" eq "$b"; then echo "=";
        else echo ">"; fi; done < "$1""#;
    let mut children = Vec::new();
    for (k, chunk) in [&pairs[..half], &pairs[half..]].into_iter().enumerate() {
        let f = scratch(&format!("dpkg-{k}.tsv"));
        write_pairs(&f, chunk);
        children.push(
            Command::new("sh")
                .args(["-c", script, "sh"])
                .arg(&f)
                .stdout(std::process::Stdio::piped())
                .spawn()
                .unwrap(),
        );
    }
    let mut oracle = Vec::new();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(out.status.success());
        oracle.extend(parse_results(&out.stdout));
    }
    check(Scheme::Dpkg, &pairs, &oracle);
}

fn rpm_version(r: &mut Rng) -> String {
    let mut v = String::new();
    if r.chance(15) {
        v.push_str(&format!("{}:", r.below(3)));
    }
    v.push_str(&r.num());
    for _ in 0..r.below(5) {
        v.push_str(r.pick(&[
            ".", ".", "_", "~", "^", "", "a", "B", "el", "-", "+", "git", "~rc", "^post",
        ]));
        if r.chance(60) {
            v.push_str(&r.num());
        }
    }
    v
}

#[test]
fn rpm_agrees_with_rpm_vercmp() {
    if !seawall_testutil::require_tool("rpm_agrees_with_rpm_vercmp", "rpm") {
        return;
    }
    let mut r = Rng(0x5eed_4e11);
    let mut pairs = Vec::new();
    // rpm rejects some strings (empty version); ask for extra pairs and
    // drop the ones it refuses, keeping at least PAIRS
    while pairs.len() < PAIRS + PAIRS / 5 {
        let a = rpm_version(&mut r);
        let b = if r.chance(60) {
            mutate(&mut r, &a, &["0", "1", "~", "^", ".", "a", "-", "9", "_"])
        } else {
            rpm_version(&mut r)
        };
        // the lua harness splits on tab; % would be a macro to rpm --eval
        if !a.contains(['\t', '%']) && !b.contains(['\t', '%']) {
            pairs.push((a, b));
        }
    }
    let f = scratch("rpm.tsv");
    write_pairs(&f, &pairs);
    let lua = format!(
        "%{{lua: for l in io.lines(\"{}\") do local a, b = l:match(\"^(.-)\\t(.*)$\"); local ok, r = pcall(rpm.vercmp, a, b); if ok then io.write(r, \"\\n\") else io.write(\"E\\n\") end end}}",
        f.display()
    );
    let out = Command::new("rpm").args(["--eval", &lua]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    assert_eq!(lines.len(), pairs.len());
    let mut kept = Vec::new();
    let mut answers = Vec::new();
    for (p, l) in pairs.into_iter().zip(lines) {
        if l.trim() != "E" {
            answers.push(l.to_string());
            kept.push(p);
        }
    }
    assert!(
        kept.len() >= PAIRS,
        "rpm refused too many pairs ({} kept)",
        kept.len()
    );
    check(
        Scheme::Rpm,
        &kept,
        &parse_results(answers.join("\n").as_bytes()),
    );
}

fn pep440_version(r: &mut Rng) -> String {
    let sep = |r: &mut Rng| r.pick(&["", "", ".", "-", "_"]).to_string();
    let mut v = String::new();
    if r.chance(5) {
        v.push('v');
    }
    if r.chance(10) {
        v.push_str(&format!("{}!", r.below(3)));
    }
    v.push_str(&r.num());
    for _ in 0..r.below(4) {
        v.push('.');
        v.push_str(&r.num());
    }
    if r.chance(35) {
        v.push_str(&sep(r));
        v.push_str(r.pick(&["a", "b", "rc", "alpha", "beta", "c", "pre", "preview", "RC"]));
        if r.chance(80) {
            v.push_str(&sep(r));
            v.push_str(&r.num());
        }
    }
    if r.chance(30) {
        if r.chance(30) {
            v.push('-');
            v.push_str(&r.num());
        } else {
            v.push_str(&sep(r));
            v.push_str(r.pick(&["post", "rev", "r", "POST"]));
            if r.chance(80) {
                v.push_str(&sep(r));
                v.push_str(&r.num());
            }
        }
    }
    if r.chance(30) {
        v.push_str(&sep(r));
        v.push_str(r.pick(&["dev", "DEV"]));
        if r.chance(80) {
            v.push_str(&sep(r));
            v.push_str(&r.num());
        }
    }
    if r.chance(15) {
        v.push('+');
        let n = 1 + r.below(3);
        for k in 0..n {
            if k > 0 {
                v.push_str(r.pick(&[".", "-", "_"]));
            }
            let seg = if r.chance(50) {
                r.num()
            } else {
                r.pick(&["abc", "ubuntu", "x1", "Z"]).to_string()
            };
            v.push_str(&seg);
        }
    }
    v
}

#[test]
fn pep440_agrees_with_python_packaging() {
    let test = "pep440_agrees_with_python_packaging";
    if !seawall_testutil::require_tool(test, "python3") {
        return;
    }
    let probe = Command::new("python3")
        .args(["-c", "import packaging.version"])
        .status();
    if !probe.is_ok_and(|s| s.success()) {
        assert!(
            !seawall_testutil::in_ci(),
            "{test}: python packaging missing"
        );
        eprintln!("SKIPPED {test}: python packaging not installed");
        return;
    }
    let mut r = Rng(0x5eed_9e44);
    let mut pairs = Vec::new();
    while pairs.len() < PAIRS {
        let a = pep440_version(&mut r);
        let b = if r.chance(50) {
            pep440_version(&mut r)
        } else {
            let m = mutate(
                &mut r,
                &a,
                &["0", "1", ".0", "a", "rc1", ".post1", ".dev0", "+1"],
            );
            if seawall_version::pep440::parse(&m).is_some() {
                m
            } else {
                a.clone()
            }
        };
        pairs.push((a, b));
    }
    // every generated version must parse for both sides
    for (a, b) in &pairs {
        assert!(
            seawall_version::pep440::parse(a).is_some(),
            "we reject {a:?}"
        );
        assert!(
            seawall_version::pep440::parse(b).is_some(),
            "we reject {b:?}"
        );
    }
    let f = scratch("pep440.tsv");
    write_pairs(&f, &pairs);
    let py = "import sys\nfrom packaging.version import Version\nout=[]\nfor l in open(sys.argv[1]):\n    a,b=l.rstrip('\\n').split('\\t')\n    x,y=Version(a),Version(b)\n    out.append('-1' if x<y else '0' if x==y else '1')\nprint('\\n'.join(out))\n";
    let out = Command::new("python3")
        .args(["-c", py])
        .arg(&f)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check(Scheme::Pep440, &pairs, &parse_results(&out.stdout));
}

fn semver_version(r: &mut Rng) -> String {
    let n = |r: &mut Rng| match r.below(8) {
        0 => format!("{}", r.below(100_000)),
        _ => format!("{}", r.below(3)),
    };
    let mut v = format!("{}.{}.{}", n(r), n(r), n(r));
    if r.chance(50) {
        v.push('-');
        let k = 1 + r.below(3);
        for i in 0..k {
            if i > 0 {
                v.push('.');
            }
            let id = match r.below(4) {
                0 | 1 => n(r),
                2 => r
                    .pick(&["alpha", "beta", "rc", "A", "a-b", "0a", "x-1", "pre"])
                    .to_string(),
                _ => r.pick(&["alpha", "beta", "rc"]).to_string(),
            };
            v.push_str(&id);
        }
    }
    if r.chance(15) {
        v.push('+');
        v.push_str(r.pick(&["build.1", "001", "sha.abc", "x"]));
    }
    v
}

fn node_semver_dir(test: &str) -> Option<PathBuf> {
    if !seawall_testutil::require_tool(test, "node") || !seawall_testutil::require_tool(test, "npm")
    {
        return None;
    }
    let dir = std::env::temp_dir().join("seawall-node-semver-7");
    if !dir.join("node_modules/semver/package.json").is_file() {
        std::fs::create_dir_all(&dir).unwrap();
        let st = Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg("semver@7")
            .status();
        if !st.is_ok_and(|s| s.success()) {
            assert!(
                !seawall_testutil::in_ci(),
                "{test}: npm install semver failed"
            );
            eprintln!("SKIPPED {test}: npm install semver failed");
            return None;
        }
    }
    Some(dir)
}

#[test]
fn semver_agrees_with_node_semver() {
    let test = "semver_agrees_with_node_semver";
    let Some(dir) = node_semver_dir(test) else {
        return;
    };
    let mut r = Rng(0x5eed_5e11);
    let mut pairs = Vec::new();
    while pairs.len() < PAIRS {
        let a = semver_version(&mut r);
        let b = if r.chance(50) {
            semver_version(&mut r)
        } else {
            let m = mutate(&mut r, &a, &["0", "1", ".0", "-rc", ".1", "a"]);
            if seawall_version::semver::parse_strict(&m).is_some() {
                m
            } else {
                a.clone()
            }
        };
        pairs.push((a, b));
    }
    for (a, b) in &pairs {
        assert!(
            seawall_version::semver::parse_strict(a).is_some(),
            "we reject {a:?}"
        );
        assert!(
            seawall_version::semver::parse_strict(b).is_some(),
            "we reject {b:?}"
        );
    }
    let f = scratch("semver.tsv");
    write_pairs(&f, &pairs);
    let js = "const semver=require(process.argv[2]);const fs=require('fs');\
        const out=fs.readFileSync(process.argv[1],'utf8').split('\\n').filter(Boolean)\
        .map(l=>{const [a,b]=l.split('\\t');return String(semver.compare(a,b));});\
        console.log(out.join('\\n'));";
    let out = Command::new("node")
        .args(["-e", js])
        .arg(&f)
        .arg(dir.join("node_modules/semver"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    check(Scheme::SemVer, &pairs, &parse_results(&out.stdout));
}
