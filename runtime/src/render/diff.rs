//! A unified diff of two texts, line by line, for `--expect`.

/// Lines of unchanged context around each change.
const CONTEXT: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Same,
    Removed,
    Added,
}

/// The unified diff from `expected` to `actual` with `---`/`+++` headers naming them, or `None`
/// when they are equal.
pub(crate) fn unified(
    expected: &str,
    actual: &str,
    expected_name: &str,
    actual_name: &str,
) -> Option<String> {
    if expected == actual {
        return None;
    }
    let old: Vec<&str> = expected.lines().collect();
    let new: Vec<&str> = actual.lines().collect();
    let ops = edit_script(&old, &new);
    let mut out = format!("--- {expected_name}\n+++ {actual_name}\n");
    // (op, old line index, new line index) for every line of the script.
    let mut lines = Vec::with_capacity(ops.len());
    let (mut i, mut j) = (0, 0);
    for op in ops {
        lines.push((op, i, j));
        match op {
            Op::Same => (i, j) = (i + 1, j + 1),
            Op::Removed => i += 1,
            Op::Added => j += 1,
        }
    }
    let changed: Vec<usize> = (0..lines.len())
        .filter(|&k| lines[k].0 != Op::Same)
        .collect();
    if changed.is_empty() {
        // Only line endings differ (e.g. a missing final newline).
        out.push_str("(the texts differ only in line endings or the final newline)\n");
        return Some(out);
    }
    let mut start = 0;
    while start < changed.len() {
        // Grow the hunk while the next change is within 2 × CONTEXT lines.
        let mut end = start;
        while end + 1 < changed.len() && changed[end + 1] - changed[end] <= 2 * CONTEXT {
            end += 1;
        }
        let first = changed[start].saturating_sub(CONTEXT);
        let last = (changed[end] + CONTEXT).min(lines.len() - 1);
        let hunk = &lines[first..=last];
        let old_count = hunk.iter().filter(|l| l.0 != Op::Added).count();
        let new_count = hunk.iter().filter(|l| l.0 != Op::Removed).count();
        let old_start = hunk[0].1 + usize::from(old_count > 0);
        let new_start = hunk[0].2 + usize::from(new_count > 0);
        out.push_str(&format!(
            "@@ -{old_start},{old_count} +{new_start},{new_count} @@\n"
        ));
        for &(op, i, j) in hunk {
            let (sign, text) = match op {
                Op::Same => (' ', old[i]),
                Op::Removed => ('-', old[i]),
                Op::Added => ('+', new[j]),
            };
            out.push(sign);
            out.push_str(text);
            out.push('\n');
        }
        start = end + 1;
    }
    Some(out)
}

/// A shortest edit script by longest common subsequence; render output is small enough for the
/// quadratic table.
fn edit_script(old: &[&str], new: &[&str]) -> Vec<Op> {
    let (n, m) = (old.len(), new.len());
    // common[i][j]: length of the LCS of old[i..] and new[j..].
    let mut common = vec![vec![0u32; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            common[i][j] = if old[i] == new[j] {
                common[i + 1][j + 1] + 1
            } else {
                common[i + 1][j].max(common[i][j + 1])
            };
        }
    }
    let mut ops = Vec::with_capacity(n + m);
    let (mut i, mut j) = (0, 0);
    while i < n || j < m {
        if i < n && j < m && old[i] == new[j] {
            ops.push(Op::Same);
            (i, j) = (i + 1, j + 1);
        } else if i < n && (j == m || common[i + 1][j] >= common[i][j + 1]) {
            // Removals first, as diff(1) prints them.
            ops.push(Op::Removed);
            i += 1;
        } else {
            ops.push(Op::Added);
            j += 1;
        }
    }
    ops
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_texts_have_no_diff() {
        assert_eq!(unified("a\nb\n", "a\nb\n", "x", "y"), None);
    }

    #[test]
    fn a_changed_line_shows_with_its_context() {
        let expected = "1\n2\n3\n4\n5\n6\n7\n8\n";
        let actual = "1\n2\n3\n4\nfive\n6\n7\n8\n";
        assert_eq!(
            unified(expected, actual, "expected.yaml", "rendered").as_deref(),
            Some(
                "--- expected.yaml\n+++ rendered\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n"
            )
        );
    }

    #[test]
    fn distant_changes_make_separate_hunks() {
        let expected = (1..=20).map(|n| format!("{n}\n")).collect::<String>();
        let actual = (1..=20)
            .filter(|&n| n != 19)
            .map(|n| {
                if n == 2 {
                    "two\n".to_owned()
                } else {
                    format!("{n}\n")
                }
            })
            .collect::<String>();
        let diff = unified(&expected, &actual, "a", "b").expect("they differ");
        assert_eq!(
            diff,
            "--- a\n+++ b\n@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n@@ -16,5 +16,4 @@\n 16\n 17\n 18\n-19\n 20\n"
        );
    }
}
