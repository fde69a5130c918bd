// The runpod and runpod-pod backends end to end: Crawldeck's real HTTP API and services against
// the RunPod emulator and a pod worker emulator, all on loopback.
#include "podemulator.h"
#include "runpodemulator.h"
#include "stack.h"
#include "testutil.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QStandardPaths>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::EmuScript;
using cdtest::RunPodEmulator;
using cdtest::Stack;
using cdtest::StackOptions;
using model::JobStatus;

namespace {

const QByteArray kToken = Stack::kToken;

QString start(Stack &st, const QString &backend, const QJsonObject &params = {}, int timeoutS = 0)
{
    QJsonObject body{{QStringLiteral("backend"), backend},
                     {QStringLiteral("keywords"), QJsonArray{QStringLiteral("solar")}},
                     {QStringLiteral("domain_count"), 2},
                     {QStringLiteral("params"), params}};
    if (timeoutS)
        body.insert(QStringLiteral("timeout_s"), timeoutS);
    const auto r = cdtest::postJson(st.port(), "/api/crawler/start", body, kToken);
    EXPECT_EQ(r.status, 200) << r.body.toStdString();
    return r.json().value(QStringLiteral("job_id")).toString();
}

bool waitStatus(Stack &st, const QString &id, JobStatus s, int ms = 15000)
{
    return cdtest::waitUntil([&] { return st.jobs->job(id)->status == s; }, ms);
}

QStringList logMessages(Stack &st, const QString &id)
{
    QStringList out;
    for (const auto &l : st.logs->lines(store::LogQuery{id, 0, 10000, {}, {}}))
        out << l.message;
    return out;
}

QString describe(Stack &st, const QString &id)
{
    const auto j = st.jobs->job(id);
    return QStringLiteral("status=%1 error=%2\n").arg(model::toString(j->status), j->error) +
           logMessages(st, id).join(u'\n');
}

EmuScript fullScript()
{
    EmuScript s;
    s.queueMs = 150;
    s.runMs = 800;
    s.progress = {{0, QStringLiteral("[INFO] Progress: 10% - warming up")},
                  {300, QStringLiteral("[INFO] Progress: 60% - half way")}};
    s.chunks = {QStringLiteral("chunk-1"), QStringLiteral("chunk-2"), QStringLiteral("chunk-3")};
    s.output =
        QJsonObject{{QStringLiteral("status"), QStringLiteral("success")},
                    {QStringLiteral("domains"), QJsonArray{QStringLiteral("a.example"), QStringLiteral("b.example")}},
                    {QStringLiteral("srt"), QStringLiteral("1\n00:00:00,000 --> 00:00:01,000\nhi\n")},
                    {QStringLiteral("plain"), QStringLiteral("hi")},
                    {QStringLiteral("result_url"), QStringLiteral("{files}/result.csv")},
                    {QStringLiteral("summary"),
                     QJsonObject{{QStringLiteral("domains_generated"),
                                  QJsonObject{{QStringLiteral("success"), 2}, {QStringLiteral("total"), 2}}}}}};
    return s;
}

struct Env
{
    RunPodEmulator emu;
    Env() { emu.listen(); }
};

} // namespace

TEST(RunPod, CompletedJobBringsBackItsOutputsAndDownloadedResult)
{
    Env env;
    env.emu.setDefaultScript(fullScript());
    env.emu.serveFile(QStringLiteral("result.csv"), "domain\na.example\nb.example\n");
    Stack st(StackOptions().runpod(env.emu.endpointUrl(), env.emu.apiKey()));
    const QString id = start(st, QStringLiteral("runpod"));
    ASSERT_TRUE(waitStatus(st, id, JobStatus::Completed)) << describe(st, id).toStdString();

    const auto job = st.jobs->job(id).value();
    EXPECT_FALSE(job.remoteId.isEmpty());
    EXPECT_EQ(job.remoteId, env.emu.lastJobId());
    EXPECT_EQ(job.remoteStatus, QStringLiteral("COMPLETED"));
    EXPECT_EQ(job.resultsUrl, env.emu.filesBase() + QStringLiteral("/result.csv"));
    EXPECT_EQ(
        job.summary.value(QStringLiteral("domains_generated")).toObject().value(QStringLiteral("success")).toInt(), 2);
    EXPECT_EQ(job.progress, 100);

    // What RunPod was sent: the seed workers' input shape.
    const QJsonObject input = env.emu.lastRunPayload().value(QStringLiteral("input")).toObject();
    EXPECT_EQ(input.value(QStringLiteral("job_id")).toString(), id);
    EXPECT_EQ(input.value(QStringLiteral("data")).toArray(), QJsonArray{QStringLiteral("solar")});
    EXPECT_EQ(input.value(QStringLiteral("num_domains")).toInt(), 2);
    EXPECT_TRUE(input.value(QStringLiteral("auto_terminate")).toBool());
    EXPECT_TRUE(input.value(QStringLiteral("callback_url"))
                    .toString()
                    .contains(QStringLiteral("token=") + st.auth->jobToken(id)));
    EXPECT_FALSE(env.emu.lastRunPayload().contains(QStringLiteral("webhook"))); // no public URL configured

    QStringList names;
    for (const auto &a : st.jobs->artifacts(id))
        names << a.name;
    names.sort();
    EXPECT_FALSE(logMessages(st, id).join(u'\n').contains(QStringLiteral("database error")));
    EXPECT_EQ(names,
              (QStringList{QStringLiteral("domains.txt"), QStringLiteral("output.json"), QStringLiteral("result.csv"),
                           QStringLiteral("subtitles.srt"), QStringLiteral("transcript.txt")}));
    const auto csv = st.jobs->artifact(id, QStringLiteral("result.csv")).value();
    EXPECT_EQ(csv.sourceUrl, job.resultsUrl);
    EXPECT_EQ(csv.sha256.size(), 64);
    const auto download = cdtest::getJson(st.port(), "/api/jobs/" + id.toUtf8() + "/artifacts/result.csv", kToken);
    EXPECT_EQ(download.body, "domain\na.example\nb.example\n");
    QFile domains(st.artifacts->outputDir(id) + QStringLiteral("/domains.txt"));
    ASSERT_TRUE(domains.open(QIODevice::ReadOnly));
    EXPECT_EQ(domains.readAll(), "a.example\nb.example\n");

    const QStringList log = logMessages(st, id);
    EXPECT_TRUE(log.contains(QStringLiteral("[INFO] Progress: 60% - half way")));
    // Generator chunks, each once and in order.
    const qsizetype c1 = log.indexOf(QStringLiteral("chunk-1")), c2 = log.indexOf(QStringLiteral("chunk-2")),
                    c3 = log.indexOf(QStringLiteral("chunk-3"));
    ASSERT_GE(c1, 0);
    EXPECT_LT(c1, c2);
    EXPECT_LT(c2, c3);
    EXPECT_EQ(log.count(QStringLiteral("chunk-2")), 1);
}

TEST(RunPod, FailedJobKeepsRunPodsErrorText)
{
    Env env;
    EmuScript s;
    s.outcome = QStringLiteral("FAILED");
    s.error = QStringLiteral("CUDA out of memory while loading model");
    env.emu.setDefaultScript(s);
    Stack st(StackOptions().runpod(env.emu.endpointUrl(), env.emu.apiKey()));
    const QString id = start(st, QStringLiteral("runpod"));
    ASSERT_TRUE(waitStatus(st, id, JobStatus::Failed)) << describe(st, id).toStdString();
    EXPECT_EQ(st.jobs->job(id)->error, QStringLiteral("RunPod job failed: CUDA out of memory while loading model"));
}

TEST(RunPod, ExecutionTimeoutIsTimedOutAndThePolicyIsSent)
{
    Env env;
    EmuScript s;
    s.outcome = QStringLiteral("FAILED");
    s.error = QStringLiteral("executionTimeout exceeded");
    env.emu.setDefaultScript(s);
    Stack st(StackOptions().runpod(env.emu.endpointUrl(), env.emu.apiKey()));
    const QString id = start(st, QStringLiteral("runpod"), {}, 600);
    ASSERT_TRUE(waitStatus(st, id, JobStatus::TimedOut)) << describe(st, id).toStdString();
    EXPECT_EQ(env.emu.lastRunPayload()
                  .value(QStringLiteral("policy"))
                  .toObject()
                  .value(QStringLiteral("executionTimeout"))
                  .toInt(),
              600000);
}

TEST(RunPod, CancelWhileQueuedAndWhileRunning)
{
    Env env;
    EmuScript s;
    s.queueMs = 60000;
    env.emu.setDefaultScript(s);
    Stack st(StackOptions().runpod(env.emu.endpointUrl(), env.emu.apiKey()));
    const QString queued = start(st, QStringLiteral("runpod"));
    ASSERT_TRUE(cdtest::waitUntil([&] { return !st.jobs->job(queued)->remoteId.isEmpty(); }));
    EXPECT_EQ(st.jobs->job(queued)->status, JobStatus::Starting); // handed over, not running yet
    ASSERT_EQ(cdtest::postJson(st.port(), "/api/crawler/cancel/" + queued.toUtf8(), {}, kToken).status, 200);
    ASSERT_TRUE(waitStatus(st, queued, JobStatus::Cancelled)) << describe(st, queued).toStdString();
    EXPECT_EQ(env.emu.count(QStringLiteral("cancel")), 1);
    EXPECT_EQ(env.emu.statusOf(st.jobs->job(queued)->remoteId), QStringLiteral("CANCELLED"));

    EmuScript forever;
    forever.queueMs = 50;
    forever.runMs = -1;
    env.emu.setDefaultScript(forever);
    const QString running = start(st, QStringLiteral("runpod"));
    ASSERT_TRUE(waitStatus(st, running, JobStatus::Running));
    ASSERT_EQ(cdtest::postJson(st.port(), "/api/jobs/" + running.toUtf8() + "/cancel", {}, kToken).status, 200);
    EXPECT_EQ(st.jobs->job(running)->status, JobStatus::Cancelling);
    ASSERT_TRUE(waitStatus(st, running, JobStatus::Cancelled)) << describe(st, running).toStdString();
    EXPECT_EQ(env.emu.count(QStringLiteral("cancel")), 2);
}

TEST(RunPod, RateLimitStormIsRiddenOutWithoutHotLooping)
{
    Env env;
    EmuScript s;
    s.queueMs = 100;
    s.runMs = 300;
    s.output = QJsonObject{{QStringLiteral("ok"), true}};
    env.emu.setDefaultScript(s);
    env.emu.failNext(429, 12, QStringLiteral("/status/"));
    Stack st(StackOptions().runpod(env.emu.endpointUrl(), env.emu.apiKey()));
    const QString id = start(st, QStringLiteral("runpod"));
    ASSERT_TRUE(waitStatus(st, id, JobStatus::Completed, 30000)) << describe(st, id).toStdString();
    // No more than a handful of /status calls in any one second, although every early one was 429.
    const auto times = env.emu.callTimes(QStringLiteral("status"));
    int worst = 0;
    for (qsizetype i = 0; i < times.size(); ++i) {
        int n = 0;
        for (qsizetype j = i; j < times.size() && times.at(j) - times.at(i) < 1000; ++j)
            ++n;
        worst = qMax(worst, n);
    }
    EXPECT_GE(times.size(), 13);
    EXPECT_LE(worst, 8) << "status calls in the busiest second";
}

TEST(RunPod, ServerErrorBurstsAreRetried)
{
    Env env;
    EmuScript s;
    s.queueMs = 50;
    s.runMs = 200;
    s.output = QJsonObject{{QStringLiteral("ok"), true}};
    env.emu.setDefaultScript(s);
    env.emu.failNext(500, 2, QStringLiteral("/run"));
    env.emu.failNext(503, 3, QStringLiteral("/status/"));
    Stack st(StackOptions().runpod(env.emu.endpointUrl(), env.emu.apiKey()));
    const QString id = start(st, QStringLiteral("runpod"));
    ASSERT_TRUE(waitStatus(st, id, JobStatus::Completed, 20000)) << describe(st, id).toStdString();
    EXPECT_EQ(env.emu.count(QStringLiteral("run")), 3); // two 500s, then accepted once
}

TEST(RunPod, WrongApiKeyFailsClearly)
{
    Env env;
    Stack st(StackOptions().runpod(env.emu.endpointUrl(), QStringLiteral("not-the-key")));
    const QString id = start(st, QStringLiteral("runpod"));
    ASSERT_TRUE(waitStatus(st, id, JobStatus::Failed)) << describe(st, id).toStdString();
    EXPECT_TRUE(st.jobs->job(id)->error.contains(QStringLiteral("refused the API key")))
        << st.jobs->job(id)->error.toStdString();
}

TEST(RunPod, WorkerCallbacksAndWebhookBothArriveAndSettleOnce)
{
    Env env;
    EmuScript s = fullScript();
    s.callbacks = {QStringLiteral("[INFO] worker says hello"), QStringLiteral("[SUCCESS] worker finished")};
    env.emu.setDefaultScript(s);
    env.emu.serveFile(QStringLiteral("result.csv"), "x\n");
    Stack st(StackOptions().runpod(env.emu.endpointUrl(), env.emu.apiKey()).withWebhook());
    const QString id = start(st, QStringLiteral("runpod"));
    ASSERT_TRUE(waitStatus(st, id, JobStatus::Completed)) << describe(st, id).toStdString();
    ASSERT_TRUE(cdtest::waitUntil([&] { return !env.emu.webhookAnswers().isEmpty(); }));
    cdtest::spin(500);
    EXPECT_EQ(env.emu.webhookAnswers(), QList<int>{200});
    EXPECT_TRUE(env.emu.lastRunPayload()
                    .value(QStringLiteral("webhook"))
                    .toString()
                    .contains(QStringLiteral("/api/runpod/webhook/") + id));
    const QStringList log = logMessages(st, id);
    EXPECT_TRUE(log.contains(QStringLiteral("[INFO] worker says hello")));
    EXPECT_TRUE(log.contains(QStringLiteral("[SUCCESS] worker finished")));
    EXPECT_EQ(log.count(QStringLiteral("job completed")), 1);
    // A webhook with a wrong token is refused; a late duplicate is accepted and changes nothing.
    const auto bad = cdtest::request(st.port(), "POST", "/api/runpod/webhook/" + id.toUtf8() + "?token=nope",
                                     R"({"status":"FAILED"})", {{"Content-Type", "application/json"}});
    EXPECT_EQ(bad.status, 401);
    const auto late = cdtest::request(st.port(), "POST",
                                      "/api/runpod/webhook/" + id.toUtf8() + "?token=" + st.auth->jobToken(id).toUtf8(),
                                      R"({"status":"FAILED","error":"late"})", {{"Content-Type", "application/json"}});
    EXPECT_EQ(late.status, 200);
    cdtest::spin(200);
    EXPECT_EQ(st.jobs->job(id)->status, JobStatus::Completed);
}

TEST(RunPod, WebhookAloneSettlesAJobPollingHasNotSeenFinish)
{
    Env env;
    EmuScript s;
    s.queueMs = 50;
    s.runMs = 100;
    s.output = QJsonObject{{QStringLiteral("plain"), QStringLiteral("from webhook")}};
    env.emu.setDefaultScript(s);
    // Polls fail for a while (server errors): the webhook gets there first.
    env.emu.failNext(500, 1000, QStringLiteral("/status/"));
    Stack st(StackOptions().runpod(env.emu.endpointUrl(), env.emu.apiKey()).withWebhook());
    const QString id = start(st, QStringLiteral("runpod"));
    ASSERT_TRUE(waitStatus(st, id, JobStatus::Completed, 20000)) << describe(st, id).toStdString();
    EXPECT_TRUE(logMessages(st, id).contains(QStringLiteral("RunPod webhook: COMPLETED")));
    EXPECT_TRUE(st.jobs->artifact(id, QStringLiteral("transcript.txt")).has_value());
}

TEST(RunPod, RestartMidJobReattachesAndCompletesWithoutResubmitting)
{
    Env env;
    EmuScript s = fullScript();
    s.runMs = 2500;
    env.emu.setDefaultScript(s);
    env.emu.serveFile(QStringLiteral("result.csv"), "x\n");
    QTemporaryDir dir;
    QString id;
    {
        Stack st(StackOptions().in(dir.path()).runpod(env.emu.endpointUrl(), env.emu.apiKey()));
        id = start(st, QStringLiteral("runpod"));
        ASSERT_TRUE(waitStatus(st, id, JobStatus::Running));
    } // Crawldeck goes away mid-job
    Stack st(StackOptions().in(dir.path()).runpod(env.emu.endpointUrl(), env.emu.apiKey()));
    EXPECT_EQ(st.jobs->job(id)->status, JobStatus::Running);
    ASSERT_TRUE(waitStatus(st, id, JobStatus::Completed)) << describe(st, id).toStdString();
    EXPECT_EQ(env.emu.count(QStringLiteral("run")), 1);
    EXPECT_TRUE(logMessages(st, id).join(u'\n').contains(QStringLiteral("re-attached to RunPod job")));
}

TEST(RunPod, AJobRunPodForgotEndsFailedAsExpired)
{
    Env env;
    EmuScript s;
    s.queueMs = 50;
    s.runMs = 100;
    env.emu.setDefaultScript(s);
    env.emu.setRetentionMs(100);
    QTemporaryDir dir;
    QString id;
    {
        Stack st(StackOptions().in(dir.path()).runpod(env.emu.endpointUrl(), env.emu.apiKey()));
        id = start(st, QStringLiteral("runpod"));
        ASSERT_TRUE(cdtest::waitUntil([&] { return !st.jobs->job(id)->remoteId.isEmpty(); }));
    }
    cdtest::spin(600); // finished at RunPod and past retention while we were down
    Stack st(StackOptions().in(dir.path()).runpod(env.emu.endpointUrl(), env.emu.apiKey()));
    ASSERT_TRUE(waitStatus(st, id, JobStatus::Failed)) << describe(st, id).toStdString();
    EXPECT_EQ(st.jobs->job(id)->error,
              QStringLiteral("RunPod no longer has this job (expired after its retention/TTL)"));
}

TEST(RunPod, FailedDownloadDoesNotLoseTheRest)
{
    Env env;
    EmuScript s;
    s.queueMs = 50;
    s.runMs = 100;
    s.output = QJsonObject{{QStringLiteral("plain"), QStringLiteral("kept")},
                           {QStringLiteral("result_url"), QStringLiteral("{files}/missing.bin")},
                           {QStringLiteral("output_url"), QStringLiteral("ftp://example.invalid/x")}};
    env.emu.setDefaultScript(s);
    Stack st(StackOptions().runpod(env.emu.endpointUrl(), env.emu.apiKey()));
    const QString id = start(st, QStringLiteral("runpod"));
    ASSERT_TRUE(waitStatus(st, id, JobStatus::Completed)) << describe(st, id).toStdString();
    EXPECT_TRUE(st.jobs->artifact(id, QStringLiteral("transcript.txt")).has_value());
    EXPECT_TRUE(st.jobs->artifact(id, QStringLiteral("output.json")).has_value());
    const QString log = logMessages(st, id).join(u'\n');
    EXPECT_TRUE(log.contains(QStringLiteral("2 result(s) could not be saved"))) << log.toStdString();
    EXPECT_TRUE(log.contains(QStringLiteral("HTTP 404")));
    EXPECT_TRUE(log.contains(QStringLiteral("only http and https")));
}

TEST(RunPodPod, SuccessFailureAndCancel)
{
    cdtest::PodEmulator pod;
    pod.listen();
    Stack st(StackOptions().pod(pod.url()));
    const QString ok = start(
        st, QStringLiteral("runpod-pod"),
        QJsonObject{{QStringLiteral("pod"),
                     QJsonObject{{QStringLiteral("callbacks"), QJsonArray{QStringLiteral("[INFO] pod working")}}}}});
    ASSERT_TRUE(waitStatus(st, ok, JobStatus::Completed)) << describe(st, ok).toStdString();
    EXPECT_TRUE(logMessages(st, ok).contains(QStringLiteral("[INFO] pod working")));
    EXPECT_EQ(pod.lastProcessBody().value(QStringLiteral("job_id")).toString(), ok);
    EXPECT_EQ(pod.lastProcessBody().value(QStringLiteral("num_domains")).toInt(), 2);
    EXPECT_TRUE(pod.lastProcessBody()
                    .value(QStringLiteral("callback_url"))
                    .toString()
                    .contains(QStringLiteral("/api/crawler/log")));
    EXPECT_TRUE(st.jobs->artifact(ok, QStringLiteral("domains.txt")).has_value());

    const QString bad =
        start(st, QStringLiteral("runpod-pod"),
              QJsonObject{{QStringLiteral("pod"), QJsonObject{{QStringLiteral("mode"), QStringLiteral("fail")}}}});
    ASSERT_TRUE(waitStatus(st, bad, JobStatus::Failed)) << describe(st, bad).toStdString();
    EXPECT_TRUE(st.jobs->job(bad)->error.contains(QStringLiteral("HTTP 500")));
    EXPECT_TRUE(st.jobs->job(bad)->error.contains(QStringLiteral("model crashed")));

    const QString hang =
        start(st, QStringLiteral("runpod-pod"),
              QJsonObject{{QStringLiteral("pod"), QJsonObject{{QStringLiteral("mode"), QStringLiteral("hang")}}}});
    ASSERT_TRUE(waitStatus(st, hang, JobStatus::Running));
    ASSERT_TRUE(cdtest::waitUntil([&] { return pod.processCalls() == 3; }));
    ASSERT_EQ(cdtest::postJson(st.port(), "/api/crawler/cancel/" + hang.toUtf8(), {}, kToken).status, 200);
    ASSERT_TRUE(waitStatus(st, hang, JobStatus::Cancelled)) << describe(st, hang).toStdString();
    ASSERT_TRUE(cdtest::waitUntil([&] { return pod.cancelled().contains(hang); }));
}

TEST(RunPodEmulatorDialect, OfficialJavaScriptSdkDrivesIt)
{
    const QString node = QStandardPaths::findExecutable(QStringLiteral("node"));
    const QString dir = QStringLiteral(CD_SOURCE_DIR "/tests/runpod-sdk");
    if (node.isEmpty() || !QDir(dir + QStringLiteral("/node_modules/runpod-sdk")).exists())
        GTEST_SKIP() << "\n\n*** SKIPPED: node or tests/runpod-sdk/node_modules is missing (run `npm ci --prefix "
                        "tests/runpod-sdk`); the RunPod dialect was NOT checked against RunPod's JavaScript SDK ***\n";
    Env env;
    EmuScript s;
    s.queueMs = 100;
    s.runMs = 600;
    s.chunks = {QStringLiteral("s1"), QStringLiteral("s2")};
    s.output = QJsonObject{{QStringLiteral("answer"), 42}};
    env.emu.setDefaultScript(s);
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    QProcessEnvironment e = QProcessEnvironment::systemEnvironment();
    e.insert(QStringLiteral("EMU_BASE"), env.emu.v2Url().toString());
    e.insert(QStringLiteral("EMU_KEY"), env.emu.apiKey());
    e.insert(QStringLiteral("EMU_ENDPOINT"), env.emu.endpointId());
    p.setProcessEnvironment(e);
    p.setWorkingDirectory(dir);
    p.start(node, {QStringLiteral("sdk_check.mjs")});
    ASSERT_TRUE(cdtest::waitUntil([&] { return p.state() == QProcess::NotRunning; }, 60000));
    const QByteArray out = p.readAll();
    EXPECT_EQ(p.exitCode(), 0) << out.toStdString();
    EXPECT_TRUE(out.contains("SDK OK")) << out.toStdString();
    EXPECT_GE(env.emu.count(QStringLiteral("run")), 2);
    EXPECT_GE(env.emu.count(QStringLiteral("cancel")), 1);
    EXPECT_GE(env.emu.count(QStringLiteral("health")), 1);
    EXPECT_GE(env.emu.count(QStringLiteral("stream")), 1);
}

TEST(RunPodWorkerTemplate, HandlerPostsProtocolLinesAndReturnsTheResultShape)
{
    const QString python = QStandardPaths::findExecutable(QStringLiteral("python3"));
    if (python.isEmpty())
        GTEST_SKIP() << "\n\n*** SKIPPED: python3 is missing; the RunPod worker template was NOT exercised ***\n";
    Stack st;
    model::JobSpec spec;
    spec.backend = model::Backend::RunPod; // as the runpod backend would have created it
    const QString id = st.jobs->insert(spec).value().id;
    QTemporaryDir dir;
    QFile input(dir.filePath(QStringLiteral("input.json")));
    ASSERT_TRUE(input.open(QIODevice::WriteOnly));
    input.write(
        QJsonDocument(QJsonObject{{QStringLiteral("input"),
                                   QJsonObject{{QStringLiteral("job_id"), id},
                                               {QStringLiteral("callback_url"), st.callbackUrlFor(id)},
                                               {QStringLiteral("data"), QJsonArray{QStringLiteral("solar panels")}},
                                               {QStringLiteral("num_domains"), 3},
                                               {QStringLiteral("auto_terminate"), true}}}})
            .toJson());
    input.close();
    QProcess p;
    p.start(python, {QStringLiteral(CD_SOURCE_DIR "/resources/workers/runpod/handler.py"), QStringLiteral("--local"),
                     input.fileName()});
    ASSERT_TRUE(cdtest::waitUntil([&] { return p.state() == QProcess::NotRunning; }, 30000));
    ASSERT_EQ(p.exitCode(), 0) << p.readAllStandardError().toStdString();
    const QJsonObject result = QJsonDocument::fromJson(p.readAllStandardOutput()).object();
    EXPECT_EQ(result.value(QStringLiteral("domains")).toArray().size(), 3);
    EXPECT_TRUE(result.value(QStringLiteral("refresh_worker")).toBool());
    EXPECT_EQ(result.value(QStringLiteral("summary"))
                  .toObject()
                  .value(QStringLiteral("domains_generated"))
                  .toObject()
                  .value(QStringLiteral("success"))
                  .toInt(),
              3);
    const auto job = st.jobs->job(id).value();
    EXPECT_EQ(job.progress, 100);
    EXPECT_EQ(job.summary.value(QStringLiteral("status")).toString(), QStringLiteral("success"));
    const QStringList log = logMessages(st, id);
    EXPECT_TRUE(log.contains(QStringLiteral("[INFO] Starting for keywords: solar panels")));
    EXPECT_TRUE(log.contains(QStringLiteral("[SUCCESS] Generation completed")));
}

// Issue 8: the chunks a generator yields as it finishes were lost: /stream was read only while
// the job was IN_PROGRESS, and RunPod hands them out only on a later /stream call.
TEST(Bug, RunPodFinalStreamChunksReachTheLogBeforeTheJobCompletes)
{
    Env env;
    EmuScript s;
    s.queueMs = 100;
    s.runMs = 500;
    s.chunks = {QStringLiteral("early-chunk")};
    s.finalChunks = {QStringLiteral("last-chunk-1"), QStringLiteral("last-chunk-2")};
    s.output = QJsonObject{{QStringLiteral("status"), QStringLiteral("success")}};
    env.emu.setDefaultScript(s);
    Stack st(StackOptions().runpod(env.emu.endpointUrl(), env.emu.apiKey()));
    const QString id = start(st, QStringLiteral("runpod"));
    ASSERT_TRUE(waitStatus(st, id, JobStatus::Completed)) << describe(st, id).toStdString();
    const QStringList log = logMessages(st, id);
    const qsizetype early = log.indexOf(QStringLiteral("early-chunk"));
    const qsizetype last1 = log.indexOf(QStringLiteral("last-chunk-1"));
    const qsizetype last2 = log.indexOf(QStringLiteral("last-chunk-2"));
    const qsizetype done = log.indexOf(QStringLiteral("job completed"));
    ASSERT_GE(early, 0) << describe(st, id).toStdString();
    ASSERT_GT(last1, early) << describe(st, id).toStdString();
    EXPECT_EQ(last2, last1 + 1);
    EXPECT_LT(last2, done); // in the log before the job ends, so a stream subscriber sees it
    EXPECT_EQ(log.count(QStringLiteral("last-chunk-1")), 1);
}

// Issue 8: /run carried no policy, so RunPod cut every job at the endpoint's default execution
// timeout whatever its timeout_s.
TEST(Bug, RunPodRunSendsTheJobsTimeoutAndTtlSoLongJobsAreNotCut)
{
    Env env;
    // An endpoint whose own execution timeout is shorter than the jobs below.
    env.emu.setEndpointExecutionTimeoutMs(400);
    EmuScript s;
    s.queueMs = 50;
    s.runMs = 1200;
    s.output = QJsonObject{{QStringLiteral("status"), QStringLiteral("success")}};
    env.emu.setDefaultScript(s);

    // The emulator enforces it: a /run without policy is cut at the endpoint's timeout, and a
    // policy outside RunPod's limits is refused.
    const QByteArray auth = "Bearer " + env.emu.apiKey().toUtf8();
    const QByteArray runPath = "/v2/" + env.emu.endpointId().toUtf8() + "/run";
    const auto bare = cdtest::request(env.emu.port(), "POST", runPath, R"({"input":{}})",
                                      {{"Authorization", auth}, {"Content-Type", "application/json"}});
    ASSERT_EQ(bare.status, 200) << bare.body.toStdString();
    const QByteArray statusPath = "/v2/" + env.emu.endpointId().toUtf8() + "/status/" +
                                  bare.json().value(QStringLiteral("id")).toString().toUtf8();
    QJsonObject doc;
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            doc = cdtest::request(env.emu.port(), "GET", statusPath, {}, {{"Authorization", auth}}).json();
            return doc.value(QStringLiteral("status")).toString() != u"IN_QUEUE" &&
                   doc.value(QStringLiteral("status")).toString() != u"IN_PROGRESS";
        },
        5000));
    EXPECT_EQ(doc.value(QStringLiteral("status")).toString(), QStringLiteral("FAILED"));
    EXPECT_EQ(doc.value(QStringLiteral("error")).toString(), QStringLiteral("executionTimeout exceeded"));
    EXPECT_EQ(cdtest::request(env.emu.port(), "POST", runPath, R"({"input":{},"policy":{"executionTimeout":1000}})",
                              {{"Authorization", auth}, {"Content-Type", "application/json"}})
                  .status,
              400);

    Stack st(StackOptions().runpod(env.emu.endpointUrl(), env.emu.apiKey()));
    // A job with a timeout: sent as executionTimeout, plus a day of queue time in the ttl.
    const QString timed = start(st, QStringLiteral("runpod"), {}, 30);
    ASSERT_TRUE(waitStatus(st, timed, JobStatus::Completed)) << describe(st, timed).toStdString();
    QJsonObject policy = env.emu.lastRunPayload().value(QStringLiteral("policy")).toObject();
    EXPECT_EQ(policy.value(QStringLiteral("executionTimeout")).toInteger(), 30000);
    EXPECT_EQ(policy.value(QStringLiteral("ttl")).toInteger(), 30000 + 24LL * 3600 * 1000);

    // A job without one gets the documented default (a day), not the endpoint's.
    const QString untimed = start(st, QStringLiteral("runpod"));
    ASSERT_TRUE(waitStatus(st, untimed, JobStatus::Completed)) << describe(st, untimed).toStdString();
    policy = env.emu.lastRunPayload().value(QStringLiteral("policy")).toObject();
    EXPECT_EQ(policy.value(QStringLiteral("executionTimeout")).toInteger(), 24LL * 3600 * 1000);
    EXPECT_EQ(policy.value(QStringLiteral("ttl")).toInteger(), 48LL * 3600 * 1000);
}
