//! patch-and-transform against the real function-patch-and-transform (Go), over gRPC: every
//! conformance fixture and a seeded stream of generated inputs go to both, and the responses
//! must be equal.

use std::fmt::Write as _;

use xfn_tests::differential::compare::{Pair, differences, report};
use xfn_tests::differential::run::assert_generated_cases_agree;
use xfn_tests::differential::upstream::UpstreamFunction;
use xfn_tests::differential::{Settings, pt_gen};
use xfn_tests::pt_fixtures::{fixtures_dir, load_cases};
use xfn_tests::{TestServer, runner};

#[tokio::test]
async fn patch_and_transform_answers_every_fixture_as_upstream_does() {
    let upstream = UpstreamFunction::start("patch-and-transform").await;
    let ours = TestServer::start(runner(), None).await;
    let pair = Pair {
        upstream: upstream.client().await,
        ours: ours.client().await,
        module: "patch-and-transform",
    };
    let mut cases = load_cases(&fixtures_dir());
    cases.extend(load_cases(&fixtures_dir().join("pending")));
    let mut failures = Vec::new();
    for case in &cases {
        let answers = pair
            .call(&case.request)
            .await
            .expect("fixtures are protojson");
        let found = differences(&answers.upstream, &answers.ours);
        if !found.is_empty() {
            failures.push(report(
                &format!("{} in {}", case.name, case.file),
                &case.request,
                &answers,
                &found,
            ));
        }
        let wrong = differences(&answers.upstream, &case.expected);
        if !wrong.is_empty() {
            failures.push(format!(
                "── EXPECTED of {} in {} is not what upstream answers:\n  {}",
                case.name,
                case.file,
                wrong.join("\n  ")
            ));
        }
    }
    upstream.stop();
    ours.stop().await;
    let mut summary = String::new();
    let _ = write!(
        summary,
        "{} of {} fixtures differ from upstream",
        failures.len(),
        cases.len()
    );
    assert!(
        failures.is_empty(),
        "{}\n\n{summary}",
        failures.join("\n\n")
    );
}

#[tokio::test]
async fn patch_and_transform_answers_generated_inputs_as_upstream_does() {
    let settings = Settings::from_env(2000);
    let upstream = UpstreamFunction::start("patch-and-transform").await;
    let ours = TestServer::start(runner(), None).await;
    let pair = Pair {
        upstream: upstream.client().await,
        ours: ours.client().await,
        module: "patch-and-transform",
    };
    assert_generated_cases_agree(&pair, &settings, pt_gen::request).await;
    upstream.stop();
    ours.stop().await;
}
