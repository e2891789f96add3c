//! Output format strings: `%field`, `%field[arg]`, `<NA>` for missing values.

use crate::fields::{self, Ctx, Field, Num, V};

#[derive(Debug)]
enum Piece {
    Lit(String),
    Field { name: String, field: Field },
}

/// A parsed output format.
#[derive(Debug, Default)]
pub struct Format {
    pieces: Vec<Piece>,
}

impl Format {
    pub fn parse(s: &str) -> Result<Format, String> {
        let mut pieces = Vec::new();
        let mut lit = String::new();
        let b = s.as_bytes();
        let mut i = 0;
        while i < b.len() {
            let c = b[i];
            if c == b'%' {
                let start = i + 1;
                let mut j = start;
                while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'_' || b[j] == b'.')
                {
                    j += 1;
                }
                let mut name = s.get(start..j).unwrap_or("");
                let mut end = j;
                // trailing dots are punctuation, not part of the field
                while name.ends_with('.') {
                    name = &name[..name.len() - 1];
                }
                if name.len() < j - start {
                    end = start + name.len();
                }
                if name.is_empty() {
                    lit.push('%');
                    i += 1;
                    continue;
                }
                let mut arg = None;
                if end == j && b.get(j) == Some(&b'[') {
                    match s.get(j + 1..).and_then(|r| r.find(']')) {
                        Some(k) => {
                            arg = s.get(j + 1..j + 1 + k).map(str::to_string);
                            end = j + 2 + k;
                        }
                        None => return Err(format!("unterminated '[' after %{name}")),
                    }
                }
                let field = fields::resolve(name, arg.as_deref())
                    .map_err(|_| format!("invalid output field '%{name}'"))?;
                if !lit.is_empty() {
                    pieces.push(Piece::Lit(std::mem::take(&mut lit)));
                }
                let full = match &arg {
                    Some(a) => format!("{name}[{a}]"),
                    None => name.to_string(),
                };
                pieces.push(Piece::Field { name: full, field });
                i = end;
            } else {
                let ch_len = s
                    .get(i..)
                    .and_then(|r| r.chars().next())
                    .map(char::len_utf8)
                    .unwrap_or(1);
                lit.push_str(s.get(i..i + ch_len).unwrap_or(""));
                i += ch_len;
            }
        }
        if !lit.is_empty() {
            pieces.push(Piece::Lit(lit));
        }
        Ok(Format { pieces })
    }

    /// Append the text [`Format::render`] gives to `out`, without the
    /// output fields: strings, integers and booleans straight from the
    /// tables when the field has a direct extraction
    /// ([`Ctx::str_field`], [`Ctx::num_field`]), no value built.
    pub fn render_text(&self, ctx: &Ctx<'_>, out: &mut String) {
        for p in &self.pieces {
            match p {
                Piece::Lit(s) => out.push_str(s),
                Piece::Field { field, .. } => {
                    if let Some(v) = ctx.str_field(&field.id) {
                        out.push_str(v.unwrap_or("<NA>"));
                    } else if let Some(v) = ctx.num_field(&field.id) {
                        match v {
                            None => out.push_str("<NA>"),
                            Some(Num::B(b)) => out.push_str(if b { "true" } else { "false" }),
                            Some(Num::I(i)) => push_int(out, i),
                        }
                    } else {
                        match ctx.extract(&field.id).render() {
                            Some(t) => out.push_str(&t),
                            None => out.push_str("<NA>"),
                        }
                    }
                }
            }
        }
    }

    /// Render the text and collect `output_fields`.
    pub fn render(&self, ctx: &Ctx<'_>) -> (String, serde_json::Map<String, serde_json::Value>) {
        let mut out = String::new();
        let mut map = serde_json::Map::new();
        for p in &self.pieces {
            match p {
                Piece::Lit(s) => out.push_str(s),
                Piece::Field { name, field } => {
                    // strings, integers and booleans straight from the
                    // tables (the values `extract` gives, rendered alike)
                    if let Some(v) = ctx.str_field(&field.id) {
                        let json = match v {
                            Some(s) => {
                                out.push_str(s);
                                serde_json::Value::String(s.to_string())
                            }
                            None => {
                                out.push_str("<NA>");
                                serde_json::Value::Null
                            }
                        };
                        map.insert(name.clone(), json);
                        continue;
                    }
                    if let Some(v) = ctx.num_field(&field.id) {
                        let json = match v {
                            None => {
                                out.push_str("<NA>");
                                serde_json::Value::Null
                            }
                            Some(Num::I(i)) => {
                                push_int(&mut out, i);
                                serde_json::Value::from(i)
                            }
                            Some(Num::B(b)) => {
                                out.push_str(if b { "true" } else { "false" });
                                serde_json::Value::from(b)
                            }
                        };
                        map.insert(name.clone(), json);
                        continue;
                    }
                    let v = ctx.extract(&field.id);
                    let text = v.render();
                    out.push_str(text.as_deref().unwrap_or("<NA>"));
                    // to_json renders these the same way: reuse the text
                    let json = match (&v, text) {
                        (V::S(_) | V::Ip(_) | V::Bytes(_) | V::Multi(_), Some(t)) => {
                            serde_json::Value::String(t)
                        }
                        _ => v.to_json(),
                    };
                    map.insert(name.clone(), json);
                }
            }
        }
        (out, map)
    }
}

/// `i` in decimal, as `i64`'s `Display` writes it.
fn push_int(out: &mut String, i: i64) {
    if i < 0 {
        out.push('-');
    }
    let mut n = i.unsigned_abs();
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        if let Some(d) = buf.get_mut(at) {
            *d = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 || at == 0 {
            break;
        }
    }
    for d in buf.get(at..).unwrap_or(&[]) {
        out.push(char::from(*d));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses() {
        let f = Format::parse("a %proc.name. b %proc.aname[2] c 100%").unwrap();
        assert_eq!(f.pieces.len(), 5);
        assert!(Format::parse("%nope.field").is_err());
    }

    #[test]
    fn fields_map_as_built_by_inserts() {
        use seawall_event::{Event, EventType};
        let f = Format::parse(
            "%proc.name %fd.name %evt.type %proc.name %user.uid %fd.num %evt.failed %container.id %proc.aname[2] %fd.name",
        )
        .unwrap();
        let mut st = crate::state::State::default();
        let ev = Event::new(1, 5, 5, EventType::Openat, 3)
            .arg("dirfd", -100i64)
            .arg("name", "/etc/hosts")
            .arg("flags", 0i64);
        let efd = st.apply(&ev);
        let ctx = Ctx::new(&ev, &st, &efd, 1, &[]);
        let (text, map) = f.render(&ctx);
        let mut want = serde_json::Map::new();
        let mut want_text = String::new();
        for p in &f.pieces {
            match p {
                Piece::Field { name, field } => {
                    let v = ctx.extract(&field.id);
                    want_text.push_str(v.render().as_deref().unwrap_or("<NA>"));
                    want.insert(name.clone(), v.to_json());
                }
                Piece::Lit(l) => want_text.push_str(l),
            }
        }
        assert_eq!(map, want);
        assert_eq!(text, want_text);
        assert_eq!(map.len(), 8);
        assert!(text.contains("/etc/hosts openat"), "{text}");
        let mut plain = String::from("x");
        f.render_text(&ctx, &mut plain);
        assert_eq!(plain, format!("x{text}"));
    }

    #[test]
    fn ints_render_as_display_does() {
        for i in [
            0,
            1,
            -1,
            9,
            10,
            -10,
            12345,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            let mut s = String::new();
            push_int(&mut s, i);
            assert_eq!(s, i.to_string());
        }
    }
}
