//! Loader behaviours Falco documents.

use seawall_rules::{LoadError, RuleSet};

fn load(src: &str) -> Result<(RuleSet, seawall_rules::LoadReport), LoadError> {
    RuleSet::load_sources(&[("t.yaml", src)])
}

fn load2(a: &str, b: &str) -> Result<(RuleSet, seawall_rules::LoadReport), LoadError> {
    RuleSet::load_sources(&[("a.yaml", a), ("b.yaml", b)])
}

fn err(src: &str) -> String {
    match load(src) {
        Ok(_) => panic!("expected an error for:\n{src}"),
        Err(e) => e.to_string(),
    }
}

const BASE: &str = r#"
- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type in (execve, execveat)
- rule: Shell
  desc: a shell
  condition: spawned and proc.name in (shells)
  output: shell %proc.name
  priority: WARNING
  tags: [shell]
"#;

#[test]
fn base_loads_with_counts() {
    let (rs, rep) = load(BASE).unwrap();
    assert_eq!((rep.rules, rep.macros, rep.lists), (1, 1, 1));
    assert_eq!(rs.rules[0].tags, vec!["shell"]);
    assert!(rs.required_event_types().unwrap().contains("execve"));
}

#[test]
fn override_before_definition_is_an_error() {
    let e = err(r#"
- rule: Shell
  condition: and proc.pname = x
  override:
    condition: append
"#);
    assert!(e.contains("no rule by that name already exists"), "{e}");
    assert!(e.starts_with("t.yaml:2:3:"), "{e}");
    let e = err("- macro: m\n  condition: evt.num > 1\n  append: true\n");
    assert!(e.contains("no macro by that name"), "{e}");
    let e = err("- list: l\n  items: [a]\n  override:\n    items: append\n");
    assert!(e.contains("no list by that name"), "{e}");
}

#[test]
fn append_joins_conditions_textually() {
    let (rs, _) = load2(
        BASE,
        "- rule: Shell\n  condition: and proc.pname = nginx\n  append: true\n",
    )
    .unwrap();
    assert_eq!(
        rs.rules[0].condition,
        "spawned and proc.name in (shells) and proc.pname = nginx"
    );
    let (rs, _) = load2(
        BASE,
        "- rule: Shell\n  condition: and proc.pname = nginx\n  override:\n    condition: append\n",
    )
    .unwrap();
    assert_eq!(
        rs.rules[0].condition,
        "spawned and proc.name in (shells) and proc.pname = nginx"
    );
    // macro append is textual within the macro, which stays one unit in the rule
    let (rs, _) = load2(
        BASE,
        "- macro: spawned\n  condition: or evt.type = clone\n  append: true\n",
    )
    .unwrap();
    assert_eq!(
        rs.rules[0]
            .event_types
            .as_ref()
            .map(|s| s.iter().cloned().collect::<Vec<_>>()),
        Some(vec![
            "clone".to_string(),
            "execve".into(),
            "execveat".into()
        ])
    );
}

#[test]
fn override_replace_and_enabled() {
    let (rs, _) = load2(
        BASE,
        "- rule: Shell\n  condition: spawned\n  priority: ERROR\n  override:\n    condition: replace\n    priority: replace\n",
    )
    .unwrap();
    assert_eq!(rs.rules[0].condition, "spawned");
    assert_eq!(rs.rules[0].priority, seawall_rules::Priority::Error);
    let (rs, _) = load2(BASE, "- rule: Shell\n  enabled: false\n").unwrap();
    assert!(!rs.rules[0].enabled);
    let (rs, _) = load2(
        BASE,
        "- rule: Shell\n  enabled: false\n  override:\n    enabled: replace\n",
    )
    .unwrap();
    assert!(!rs.rules[0].enabled);
    // keys must be listed in override, and override/append cannot mix
    let e = match load2(
        BASE,
        "- rule: Shell\n  condition: x\n  output: y\n  override:\n    condition: append\n",
    ) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("expected error"),
    };
    assert!(
        e.contains("key 'output' must be specified in override"),
        "{e}"
    );
    let e = match load2(
        BASE,
        "- rule: Shell\n  condition: x\n  append: true\n  override:\n    condition: append\n",
    ) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("expected error"),
    };
    assert!(e.contains("cannot be used together"), "{e}");
    let e = match load2(
        BASE,
        "- rule: Shell\n  priority: ERROR\n  override:\n    priority: append\n",
    ) {
        Err(e) => e.to_string(),
        Ok(_) => panic!("expected error"),
    };
    assert!(e.contains("cannot be overridden with 'append'"), "{e}");
}

#[test]
fn exceptions_rewrite_to_and_not() {
    let src = r#"
- rule: R
  desc: d
  condition: evt.type = open or evt.type = openat
  output: o
  priority: INFO
  exceptions:
    - name: pairs
      fields: [proc.name, fd.name]
      comps: [=, startswith]
      values:
        - [cat, /etc/x]
        - ["my proc", /tmp]
    - name: names
      fields: proc.name
      values: [vi, nano]
    - name: lists
      fields: [proc.name, fd.directory]
      comps: [=, in]
      values:
        - [ls, [/etc, /usr]]
    - name: empty
      fields: [proc.name]
"#;
    let (rs, _) = load(src).unwrap();
    assert_eq!(
        rs.rules[0].condition,
        "(evt.type = open or evt.type = openat) \
         and not ((proc.name = cat and fd.name startswith /etc/x) or (proc.name = \"my proc\" and fd.name startswith /tmp)) \
         and not (proc.name in (vi, nano)) \
         and not ((proc.name = ls and fd.directory in (/etc, /usr)))"
    );
    // exception values appended later join the existing exception
    let (rs, _) = load2(
        src,
        "- rule: R\n  exceptions:\n    - name: names\n      values: [emacs]\n  override:\n    exceptions: append\n",
    )
    .unwrap();
    assert!(
        rs.rules[0]
            .condition
            .contains("proc.name in (vi, nano, emacs)"),
        "{}",
        rs.rules[0].condition
    );
    let e = err("- rule: R\n  desc: d\n  condition: evt.type=open\n  output: o\n  priority: INFO\n  exceptions:\n    - name: x\n      fields: [proc.nope]\n");
    assert!(
        e.contains("'proc.nope' is not a supported filter field"),
        "{e}"
    );
}

#[test]
fn unknown_fields_fail_unless_skip_if_unknown_filter() {
    let rule = |skip: bool| {
        format!(
            "- rule: R\n  desc: d\n  condition: evt.type=open and proc.frobnicate = 1\n  output: o\n  priority: INFO\n  skip-if-unknown-filter: {skip}\n"
        )
    };
    let e = err(&rule(false));
    assert!(e.contains("nonexistent field proc.frobnicate"), "{e}");
    assert!(e.contains("rule 'R'"), "{e}");
    let (rs, rep) = load(&rule(true)).unwrap();
    assert!(rs.rules.is_empty());
    assert_eq!(rep.skipped.len(), 1);
    assert_eq!(rep.skipped[0].rule, "R");
    assert_eq!(rep.skipped[0].field, "proc.frobnicate");
    let e = err("- rule: R\n  desc: d\n  condition: evt.type=open\n  output: '%proc.nope'\n  priority: INFO\n");
    assert!(e.contains("invalid output field '%proc.nope'"), "{e}");
}

#[test]
fn versions_and_plugins() {
    assert!(load("- required_engine_version: 0.10.0\n").is_ok());
    let e = err("- required_engine_version: 99.0.0\n");
    assert!(e.contains("rules require engine version 99.0.0"), "{e}");
    assert!(load("- required_plugin_versions:\n  - name: container\n    version: 0.2.0\n").is_ok());
    let e = err("- required_plugin_versions:\n  - name: k8saudit\n    version: 0.1.0\n");
    assert!(e.contains("plugin 'k8saudit'"), "{e}");
    assert!(load(
        "- required_plugin_versions:\n  - name: k8saudit\n    version: 0.1.0\n    alternatives:\n      - name: container\n        version: 0.1.0\n"
    )
    .is_ok());
}

#[test]
fn malformed_yaml_and_conditions_are_positioned() {
    let e = err("- rule: R\n  desc: [unclosed\n");
    assert!(e.starts_with("t.yaml:"), "{e}");
    assert!(e.contains("invalid yaml"), "{e}");
    let e = err("- rule: R\n  desc: d\n  condition: evt.type = open and (proc.name = x\n  output: o\n  priority: INFO\n");
    assert!(e.starts_with("t.yaml:3:"), "{e}");
    assert!(e.contains("expected ')'"), "{e}");
    // a syntax error in an unused macro is still reported, at its line
    let e = err("- macro: m\n  condition: proc.name in (a, b\n");
    assert!(e.starts_with("t.yaml:2:"), "{e}");
    let e = err("- rule: R\n  desc: d\n  condition: evt.type = open and nosuchmacro\n  output: o\n  priority: INFO\n");
    assert!(e.contains("undefined macro 'nosuchmacro'"), "{e}");
    let e =
        err("- rule: R\n  desc: d\n  condition: evt.type = open\n  output: o\n  priority: LOUD\n");
    assert!(e.contains("invalid priority 'LOUD'"), "{e}");
    let e = err("- rule: R\n  desc: d\n  output: o\n  priority: INFO\n");
    assert!(e.contains("no mapping for key 'condition'"), "{e}");
    let e =
        err("- rule: R\n  desc: d\n  condition: proc.pid = abc\n  output: o\n  priority: INFO\n");
    assert!(e.contains("not a valid number"), "{e}");
    let e = err(
        "- rule: R\n  desc: d\n  condition: proc.pid contains 1\n  output: o\n  priority: INFO\n",
    );
    assert!(e.contains("not supported"), "{e}");
    let e = err("rules: 1\n");
    assert!(e.contains("not yaml array"), "{e}");
}

#[test]
fn deep_nesting_is_bounded_without_panic() {
    let deep = format!(
        "- rule: R\n  desc: d\n  condition: {}evt.type=open{}\n  output: o\n  priority: INFO\n",
        "(".repeat(5000),
        ")".repeat(5000)
    );
    assert!(err(&deep).contains("nested deeper"));
    let deep_yaml = format!(
        "- list: l\n  items: {}{}\n",
        "[".repeat(10_000),
        "]".repeat(10_000)
    );
    assert!(load(&deep_yaml).is_err());
    // self-recursive macros are caught
    let e = err("- macro: a\n  condition: b\n- macro: b\n  condition: a\n- rule: R\n  desc: d\n  condition: a\n  output: o\n  priority: INFO\n");
    assert!(e.contains("macro expansion deeper"), "{e}");
}

#[test]
fn lists_append_and_nest() {
    let (rs, _) = load(
        r#"
- list: a
  items: [x]
- list: a
  items: [y]
  append: true
- list: b
  items: [a, z, '"quoted a"']
- rule: R
  desc: d
  condition: evt.type = execve and proc.name in (b)
  output: o
  priority: INFO
"#,
    )
    .unwrap();
    assert_eq!(rs.rules.len(), 1);
}

#[test]
fn warn_evttypes() {
    let src = |w: bool| {
        format!("- rule: R\n  desc: d\n  condition: proc.name = x\n  output: o\n  priority: INFO\n  warn_evttypes: {w}\n")
    };
    let (rs, rep) = load(&src(true)).unwrap();
    assert!(rep
        .warnings
        .iter()
        .any(|w| w.msg.contains("too many evt.type")));
    assert!(rs.required_event_types().is_none());
    let (_, rep) = load(&src(false)).unwrap();
    assert!(!rep
        .warnings
        .iter()
        .any(|w| w.msg.contains("too many evt.type")));
}
