//! Maven versions, ordered like `org.apache.maven.artifact.versioning.ComparableVersion`.

use std::cmp::Ordering;

use crate::num::cmp_digits;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Int(String),
    Str(String),
    List(Vec<Item>),
}

const QUALIFIERS: [&str; 7] = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"];

fn comparable_qualifier(q: &str) -> String {
    match QUALIFIERS.iter().position(|x| *x == q) {
        Some(i) => i.to_string(),
        None => format!("{}-{}", QUALIFIERS.len(), q),
    }
}

fn string_item(s: &str, followed_by_digit: bool) -> Item {
    let s = if followed_by_digit && s.len() == 1 {
        match s {
            "a" => "alpha",
            "b" => "beta",
            "m" => "milestone",
            o => o,
        }
    } else {
        s
    };
    let s = match s {
        "ga" | "final" | "release" => "",
        "cr" => "rc",
        o => o,
    };
    Item::Str(s.to_string())
}

fn parse_item(s: &str, is_digit: bool) -> Item {
    if is_digit {
        let t = s.trim_start_matches('0');
        Item::Int(if t.is_empty() { "0".into() } else { t.into() })
    } else {
        string_item(s, false)
    }
}

fn is_null(i: &Item) -> bool {
    match i {
        Item::Int(n) => n == "0",
        Item::Str(s) => s.is_empty(),
        Item::List(l) => l.is_empty(),
    }
}

fn normalize(list: &mut Vec<Item>) {
    for it in list.iter_mut() {
        if let Item::List(l) = it {
            normalize(l);
        }
    }
    // Maven walks backwards removing null items until a non-list, non-null one
    let mut i = list.len();
    while i > 0 {
        i -= 1;
        if is_null(&list[i]) {
            list.remove(i);
        } else if !matches!(list[i], Item::List(_)) {
            break;
        }
    }
}

fn parse(v: &str) -> Vec<Item> {
    let v = v.to_ascii_lowercase();
    // a stack of lists, innermost last
    let mut stack: Vec<Vec<Item>> = vec![Vec::new()];
    let b = v.as_bytes();
    let mut is_digit = false;
    let mut start = 0usize;
    let push_new = |stack: &mut Vec<Vec<Item>>| stack.push(Vec::new());
    for (i, &c) in b.iter().enumerate() {
        if c == b'.' {
            let it = if i == start {
                Item::Int("0".into())
            } else {
                parse_item(&v[start..i], is_digit)
            };
            if let Some(top) = stack.last_mut() {
                top.push(it);
            }
            start = i + 1;
        } else if c == b'-' {
            let it = if i == start {
                Item::Int("0".into())
            } else {
                parse_item(&v[start..i], is_digit)
            };
            if let Some(top) = stack.last_mut() {
                top.push(it);
            }
            start = i + 1;
            push_new(&mut stack);
        } else if c.is_ascii_digit() {
            if !is_digit && i > start {
                if let Some(top) = stack.last_mut() {
                    top.push(string_item(&v[start..i], true));
                }
                start = i;
                push_new(&mut stack);
            }
            is_digit = true;
        } else {
            if is_digit && i > start {
                if let Some(top) = stack.last_mut() {
                    top.push(parse_item(&v[start..i], true));
                }
                start = i;
                push_new(&mut stack);
            }
            is_digit = false;
        }
    }
    if b.len() > start {
        if let Some(top) = stack.last_mut() {
            top.push(parse_item(&v[start..], is_digit));
        }
    }
    // fold the stack: each list is the last element of its parent
    while stack.len() > 1 {
        let mut inner = stack.pop().unwrap_or_default();
        normalize(&mut inner);
        if let Some(top) = stack.last_mut() {
            top.push(Item::List(inner));
        }
    }
    let mut root = stack.pop().unwrap_or_default();
    normalize(&mut root);
    root
}

fn cmp_item(a: Option<&Item>, b: Option<&Item>) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(y)) => cmp_item(Some(y), None).reverse(),
        (Some(Item::Int(n)), None) => {
            if n == "0" {
                Ordering::Equal
            } else {
                Ordering::Greater
            }
        }
        (Some(Item::Str(s)), None) => comparable_qualifier(s).cmp(&comparable_qualifier("")),
        (Some(Item::List(l)), None) => match l.first() {
            None => Ordering::Equal,
            Some(f) => cmp_item(Some(f), None),
        },
        (Some(Item::Int(x)), Some(Item::Int(y))) => cmp_digits(x, y),
        (Some(Item::Int(_)), Some(_)) => Ordering::Greater,
        (Some(Item::Str(_)), Some(Item::Int(_))) => Ordering::Less,
        (Some(Item::Str(x)), Some(Item::Str(y))) => {
            comparable_qualifier(x).cmp(&comparable_qualifier(y))
        }
        (Some(Item::Str(_)), Some(Item::List(_))) => Ordering::Less,
        (Some(Item::List(_)), Some(Item::Int(_))) => Ordering::Less,
        (Some(Item::List(_)), Some(Item::Str(_))) => Ordering::Greater,
        (Some(Item::List(x)), Some(Item::List(y))) => cmp_lists(x, y),
    }
}

fn cmp_lists(x: &[Item], y: &[Item]) -> Ordering {
    let n = x.len().max(y.len());
    for k in 0..n {
        match cmp_item(x.get(k), y.get(k)) {
            Ordering::Equal => {}
            o => return o,
        }
    }
    Ordering::Equal
}

pub fn compare(a: &str, b: &str) -> Ordering {
    cmp_lists(&parse(a), &parse(b))
}

#[cfg(test)]
mod tests {
    use super::*;
    use Ordering::*;

    #[test]
    fn maven_ordering() {
        let ordered = [
            "1-alpha1",
            "1-alpha2",
            "1-beta1",
            "1-milestone1",
            "1-rc1",
            "1-SNAPSHOT",
            "1",
            "1-sp1",
            "1.0.1",
            "1.1",
            "2.0.0-M1",
            "2.0.0",
        ];
        for w in ordered.windows(2) {
            assert_eq!(compare(w[0], w[1]), Less, "{} < {}", w[0], w[1]);
        }
        assert_eq!(compare("1.0", "1"), Equal);
        assert_eq!(compare("1.0.0.Final", "1.0"), Equal);
        assert_eq!(compare("1-ga", "1"), Equal);
        assert_eq!(compare("2.12.7.1", "2.12.7"), Greater);
        assert_eq!(compare("1.0-cr1", "1.0-rc1"), Equal);
    }
}
