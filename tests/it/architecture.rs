//! The layout's rules, checked on the sources: no module imports one that imports it back
//! (directly or through others), each stage uses only the stages below it, the product's stages
//! never import the developer tools, and nothing below the command line imports clap.
//!
//! The graph is built per file: an edge A -> B for every path in A (`use crate::x::y`,
//! `crate::x::y::f()`, `super::z`, a child module's name in a `use`) that names a module B
//! (the longest prefix of the path that is a module file). `mod x;` declarations are not uses.

use crate::common::project_root;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module's layer: a module may use its own layer's modules only within itself,
/// and lower layers freely.
const LAYERS: &[(&str, usize)] = &[
    ("error", 0),
    ("domain", 1),
    ("settings", 2),
    ("store", 3),
    ("ingest", 4),
    ("metrics", 4),
    ("sync", 5),
    ("present", 6),
    ("room", 7),
    ("web", 8),
    ("devtools", 9),
    ("commands", 10),
    ("cli", 11),
];

/// Module path of every source file: `src/a/b.rs` -> a::b, `src/a/mod.rs` -> a.
fn modules(src: &Path) -> BTreeMap<Vec<String>, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            if p.extension().is_none_or(|x| x != "rs") {
                continue;
            }
            let rel = p.strip_prefix(src).unwrap();
            let mut segs: Vec<String> = rel
                .iter()
                .map(|s| s.to_string_lossy().trim_end_matches(".rs").to_string())
                .collect();
            if segs
                .last()
                .is_some_and(|s| s == "mod" || s == "lib" || s == "main")
            {
                let last = segs.pop().unwrap();
                if last == "main" {
                    segs = vec!["<main>".to_string()];
                }
            }
            out.insert(segs, std::fs::read_to_string(&p).unwrap());
        }
    }
    out
}

/// The source without comments (doc links name modules they do not use) and without its
/// unit tests (`#[cfg(test)] mod tests` closes every file; `super` there is the file itself).
fn code(text: &str) -> String {
    let text = match text.find("#[cfg(test)]") {
        Some(i) => &text[..i],
        None => text,
    };
    text.lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn ident(s: &[u8], mut i: usize) -> (String, usize) {
    let start = i;
    while i < s.len() && (s[i].is_ascii_alphanumeric() || s[i] == b'_') {
        i += 1;
    }
    (String::from_utf8_lossy(&s[start..i]).into_owned(), i)
}

fn skip_ws(s: &[u8], mut i: usize) -> usize {
    while i < s.len() && s[i].is_ascii_whitespace() {
        i += 1;
    }
    i
}

/// Every path starting at `i` (after `crate::` or `super::`), with `{a, b::c}` groups expanded.
fn paths_at(s: &[u8], i: usize, prefix: Vec<String>, out: &mut Vec<Vec<String>>) -> usize {
    let mut path = prefix;
    let mut i = skip_ws(s, i);
    loop {
        if i < s.len() && s[i] == b'{' {
            i += 1;
            loop {
                i = skip_ws(s, i);
                if i >= s.len() || s[i] == b'}' {
                    return i + 1;
                }
                i = paths_at(s, i, path.clone(), out);
                i = skip_ws(s, i);
                // `as name`
                if s[i..].starts_with(b"as ") {
                    i = ident(s, skip_ws(s, i + 3)).1;
                    i = skip_ws(s, i);
                }
                if i < s.len() && s[i] == b',' {
                    i += 1;
                }
            }
        }
        let (name, j) = ident(s, i);
        if name.is_empty() {
            out.push(path);
            return i;
        }
        if name != "self" {
            path.push(name);
        }
        i = j;
        if s[i..].starts_with(b"::") {
            i = skip_ws(s, i + 2);
            continue;
        }
        out.push(path);
        return i;
    }
}

/// The module a path names: its longest prefix that is a module.
fn resolve(path: &[String], mods: &BTreeSet<Vec<String>>) -> Option<Vec<String>> {
    (1..=path.len())
        .rev()
        .map(|n| path[..n].to_vec())
        .find(|p| mods.contains(p))
}

fn edges(
    module: &[String],
    is_mod_rs: bool,
    text: &str,
    mods: &BTreeSet<Vec<String>>,
) -> BTreeSet<Vec<String>> {
    let code = code(text);
    let s = code.as_bytes();
    let mut paths: Vec<Vec<String>> = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let word_start = i == 0 || !(s[i - 1].is_ascii_alphanumeric() || s[i - 1] == b'_');
        if word_start && s[i..].starts_with(b"crate::") {
            i = paths_at(s, i + 7, Vec::new(), &mut paths);
        } else if word_start && s[i..].starts_with(b"super::") {
            // super of a::b (in b.rs) is a; of a (in a/mod.rs) is the root.
            let mut base = module.to_vec();
            let mut j = i;
            while s[j..].starts_with(b"super::") {
                base.pop();
                j += 7;
            }
            i = paths_at(s, j, base, &mut paths);
        } else if word_start && s[i..].starts_with(b"use ") {
            // `use child::x` in a module with children.
            let (first, _) = ident(s, skip_ws(s, i + 4));
            let mut child = module.to_vec();
            child.push(first);
            if is_mod_rs && mods.contains(&child) {
                i = paths_at(s, skip_ws(s, i + 4), module.to_vec(), &mut paths);
            } else {
                i += 4;
            }
        } else {
            i += 1;
        }
    }
    paths
        .iter()
        .filter_map(|p| resolve(p, mods))
        .filter(|m| m.as_slice() != module)
        .collect()
}

type Graph = BTreeMap<Vec<String>, BTreeSet<Vec<String>>>;

fn graph() -> Graph {
    let src = project_root().join("src");
    let files = modules(&src);
    let mods: BTreeSet<Vec<String>> = files.keys().cloned().collect();
    let mut g = Graph::new();
    for (m, text) in &files {
        let is_mod_rs = m.is_empty() || src.join(m.join("/")).join("mod.rs").is_file();
        g.insert(m.clone(), edges(m, is_mod_rs, text, &mods));
    }
    g
}

/// Strongly connected components with more than one module (Tarjan).
fn cycles(g: &Graph) -> Vec<Vec<String>> {
    struct T<'a> {
        g: &'a Graph,
        index: BTreeMap<&'a Vec<String>, usize>,
        low: BTreeMap<&'a Vec<String>, usize>,
        on: BTreeSet<&'a Vec<String>>,
        stack: Vec<&'a Vec<String>>,
        next: usize,
        out: Vec<Vec<String>>,
    }
    fn visit<'a>(t: &mut T<'a>, v: &'a Vec<String>) {
        t.index.insert(v, t.next);
        t.low.insert(v, t.next);
        t.next += 1;
        t.stack.push(v);
        t.on.insert(v);
        for w in t.g.get(v).into_iter().flatten() {
            if !t.index.contains_key(w) {
                visit(t, w);
                let lw = t.low[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(lw);
            } else if t.on.contains(w) {
                let iw = t.index[w];
                let lv = t.low.get_mut(v).unwrap();
                *lv = (*lv).min(iw);
            }
        }
        if t.low[v] == t.index[v] {
            let mut comp = Vec::new();
            loop {
                let w = t.stack.pop().unwrap();
                t.on.remove(w);
                comp.push(w.join("::"));
                if w == v {
                    break;
                }
            }
            if comp.len() > 1 {
                comp.sort();
                t.out.push(comp);
            }
        }
    }
    let mut t = T {
        g,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        on: BTreeSet::new(),
        stack: Vec::new(),
        next: 0,
        out: Vec::new(),
    };
    for v in g.keys() {
        if !t.index.contains_key(v) {
            visit(&mut t, v);
        }
    }
    t.out
}

#[test]
fn no_module_imports_one_that_imports_it_back() {
    let g = graph();
    assert!(g.len() > 40, "found only {} modules", g.len());
    // The check sees edges of every kind it claims to.
    let has = |a: &str, b: &str| {
        let a: Vec<String> = a.split("::").map(String::from).collect();
        let b: Vec<String> = b.split("::").map(String::from).collect();
        g[&a].contains(&b)
    };
    assert!(has("web::handlers", "web::state"), "a `use crate::` path");
    assert!(has("web", "web::handlers"), "a child module in `pub use`");
    assert!(has("store::merge", "domain::schema"), "a braced group");
    let cycles = cycles(&g);
    assert!(
        cycles.is_empty(),
        "import circles (each line: modules that reach each other):\n{}",
        cycles
            .iter()
            .map(|c| c.join(", "))
            .collect::<Vec<_>>()
            .join("\n")
    );
}

#[test]
fn the_cycle_check_finds_a_circle() {
    let v = |s: &str| vec![s.to_string()];
    let mut g = Graph::new();
    g.insert(v("a"), [v("b")].into());
    g.insert(v("b"), [v("c")].into());
    g.insert(v("c"), [v("a")].into());
    g.insert(v("d"), [v("a")].into());
    assert_eq!(cycles(&g), vec![vec!["a", "b", "c"]]);
}

#[test]
fn each_stage_uses_only_the_stages_below_it() {
    let layer = |m: &[String]| -> Option<usize> {
        let top = m.first()?;
        LAYERS.iter().find(|(n, _)| n == top).map(|(_, l)| *l)
    };
    let mut wrong = Vec::new();
    for (from, tos) in graph() {
        let (Some(lf), Some(top)) = (layer(&from), from.first()) else {
            continue;
        };
        for to in tos {
            let Some(lt) = layer(&to) else { continue };
            let same_stage = to.first() == Some(top);
            if !same_stage && lt >= lf {
                wrong.push(format!("{} uses {}", from.join("::"), to.join("::")));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_product_never_imports_the_devtools_nor_clap() {
    let src = project_root().join("src");
    for (m, text) in modules(&src) {
        let top = m.first().map(String::as_str).unwrap_or("");
        let code = code(&text);
        // The crate root lists every module.
        if m.is_empty() {
            continue;
        }
        if !matches!(top, "devtools" | "commands" | "cli" | "<main>") {
            assert!(
                !code.contains("devtools"),
                "{} uses the devtools",
                m.join("::")
            );
        }
        if !matches!(top, "cli" | "<main>") {
            assert!(!code.contains("clap"), "{} uses clap", m.join("::"));
        }
    }
}
