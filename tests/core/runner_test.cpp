#include "stack.h"
#include "testutil.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::Stack;
using cdtest::StackOptions;
using model::JobStatus;

namespace {

QMap<QString, QString> profiles()
{
    return {
        {QStringLiteral("ok"), QStringLiteral("sh -c 'echo \"[INFO] hello {job_id}\"; echo \"Progress: 50%\"; "
                                              "echo data > \"$CRAWLDECK_OUTPUT_DIR/result.txt\"; mkdir -p sub; "
                                              "echo x > sub/nested.txt; cat {params_file} > params-copy.json'")},
        {QStringLiteral("fail"),
         QStringLiteral("sh -c 'echo \"[ERROR] boom happened\"; echo partial > out.txt; exit 3'")},
        {QStringLiteral("stderr"), QStringLiteral("sh -c 'echo oops >&2; exit 1'")},
        {QStringLiteral("tree"),
         QStringLiteral("sh -c 'sleep 300 & echo $! >> pids; (sleep 300 & echo $! >> pids; wait) & "
                        "echo started; wait'")},
        {QStringLiteral("stubborn"),
         QStringLiteral("sh -c 'trap \"\" TERM; echo started; while true; do sleep 0.1; done'")},
        {QStringLiteral("missing"), QStringLiteral("/nonexistent/bin/crawler --x")},
        {QStringLiteral("crash"), QStringLiteral("sh -c 'echo \"[ERROR] about to crash\"; kill -SEGV $$'")},
        {QStringLiteral("sleep"), QStringLiteral("sleep 1")},
        {QStringLiteral("long"), QStringLiteral("sleep 30")},
    };
}

model::JobSpec spec(const QString &profile, int maxAttempts = 1, int timeoutS = 0)
{
    model::JobSpec s;
    s.params.insert(QStringLiteral("profile"), profile);
    s.params.insert(QStringLiteral("keywords"), QJsonArray{QStringLiteral("k")});
    s.maxAttempts = maxAttempts;
    s.timeoutS = timeoutS;
    return s;
}

bool waitStatus(Stack &st, const QString &id, JobStatus status, int ms = 10000)
{
    return cdtest::waitUntil([&] { return st.jobs->job(id)->status == status; }, ms);
}

bool processGone(qint64 pid)
{
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return true;
    const QByteArray s = stat.readAll();
    const qsizetype close = s.lastIndexOf(')');
    return close > 0 && s.mid(close + 2, 1) == "Z"; // a zombie has exited
}

QStringList messages(Stack &st, const QString &id)
{
    QStringList out;
    for (const auto &l : st.logs->lines(store::LogQuery{id, 0, 10000, {}, {}}))
        out << l.message;
    return out;
}

} // namespace

TEST(LocalRunner, SuccessRecordsLogsProgressArtifactsAndParams)
{
    Stack st(StackOptions().noListen().withProfiles(profiles()));
    const auto job = st.scheduler->submit(spec(QStringLiteral("ok"))).value();
    ASSERT_TRUE(waitStatus(st, job.id, JobStatus::Completed))
        << messages(st, job.id).join(QStringLiteral("\n")).toStdString()
        << model::toString(st.jobs->job(job.id)->status).toStdString();
    const auto done = st.jobs->job(job.id).value();
    EXPECT_EQ(done.exitCode, 0);
    EXPECT_EQ(done.progress, 100);
    EXPECT_TRUE(messages(st, job.id).contains(QStringLiteral("[INFO] hello ") + job.id));
    QStringList names;
    for (const auto &a : st.jobs->artifacts(job.id))
        names << a.name;
    names.sort();
    EXPECT_EQ(names, (QStringList{QStringLiteral("params-copy.json"), QStringLiteral("result.txt"),
                                  QStringLiteral("sub/nested.txt")}));
    const auto result = st.jobs->artifact(job.id, QStringLiteral("result.txt")).value();
    EXPECT_EQ(result.size, 5);
    EXPECT_EQ(result.sha256.size(), 64);
    QFile params(st.artifacts->outputDir(job.id) + QStringLiteral("/params-copy.json"));
    ASSERT_TRUE(params.open(QIODevice::ReadOnly));
    EXPECT_TRUE(params.readAll().contains("\"profile\": \"ok\""));
}

TEST(LocalRunner, NonZeroExitFailsWithTheCodeAndTheLastErrorLine)
{
    Stack st(StackOptions().noListen().withProfiles(profiles()));
    const auto job = st.scheduler->submit(spec(QStringLiteral("fail"))).value();
    ASSERT_TRUE(waitStatus(st, job.id, JobStatus::Failed));
    const auto j = st.jobs->job(job.id).value();
    EXPECT_EQ(j.exitCode, 3);
    EXPECT_EQ(j.error, QStringLiteral("exit code 3: [ERROR] boom happened"));
    // What the worker wrote before failing is kept.
    EXPECT_TRUE(st.jobs->artifact(job.id, QStringLiteral("out.txt")).has_value());

    const auto e = st.scheduler->submit(spec(QStringLiteral("stderr"))).value();
    ASSERT_TRUE(waitStatus(st, e.id, JobStatus::Failed));
    EXPECT_EQ(st.jobs->job(e.id)->error, QStringLiteral("exit code 1: oops"));
    const auto lines =
        st.logs->lines(store::LogQuery{e.id, 0, 100, {model::LogLevel::Warning}, QStringLiteral("oops")});
    ASSERT_EQ(lines.size(), 1);
    EXPECT_EQ(lines.first().source, model::LogSource::Stderr);
}

TEST(LocalRunner, CrashingWorkerFailsClearly)
{
    Stack st(StackOptions().noListen().withProfiles(profiles()));
    const auto job = st.scheduler->submit(spec(QStringLiteral("crash"))).value();
    ASSERT_TRUE(waitStatus(st, job.id, JobStatus::Failed));
    const auto j = st.jobs->job(job.id).value();
    EXPECT_TRUE(j.error.startsWith(QStringLiteral("worker crashed"))) << j.error.toStdString();
    EXPECT_TRUE(j.error.contains(QStringLiteral("about to crash")));
}

TEST(LocalRunner, CancelKillsTheWholeProcessTree)
{
    Stack st(StackOptions().noListen().withProfiles(profiles()));
    const auto job = st.scheduler->submit(spec(QStringLiteral("tree"))).value();
    const QString pidFile = st.artifacts->outputDir(job.id) + QStringLiteral("/pids");
    ASSERT_TRUE(cdtest::waitUntil([&] {
        QFile f(pidFile);
        return f.open(QIODevice::ReadOnly) && f.readAll().count('\n') >= 2;
    }));
    ASSERT_TRUE(waitStatus(st, job.id, JobStatus::Running));
    QFile f(pidFile);
    ASSERT_TRUE(f.open(QIODevice::ReadOnly));
    QList<qint64> pids;
    for (const QByteArray &l : f.readAll().split('\n'))
        if (!l.trimmed().isEmpty())
            pids << l.trimmed().toLongLong();
    ASSERT_EQ(pids.size(), 2);
    const qint64 group = st.local->processGroup(job.id);
    ASSERT_GT(group, 1);
    for (qint64 pid : pids)
        EXPECT_FALSE(processGone(pid));

    const auto c = st.scheduler->cancel(job.id);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->status, JobStatus::Cancelling);
    ASSERT_TRUE(waitStatus(st, job.id, JobStatus::Cancelled));
    for (qint64 pid : pids)
        EXPECT_TRUE(cdtest::waitUntil([&] { return processGone(pid); }, 3000)) << "grandchild " << pid << " survived";
    EXPECT_EQ(st.jobs->job(job.id)->error, QStringLiteral("cancelled"));
}

TEST(LocalRunner, CancelEscalatesToSigkillAfterTheGracePeriod)
{
    Stack st(StackOptions().noListen().grace(300).withProfiles(profiles()));
    const auto job = st.scheduler->submit(spec(QStringLiteral("stubborn"))).value();
    ASSERT_TRUE(cdtest::waitUntil([&] { return messages(st, job.id).contains(QStringLiteral("started")); }));
    const qint64 group = st.local->processGroup(job.id);
    st.scheduler->cancel(job.id);
    ASSERT_TRUE(waitStatus(st, job.id, JobStatus::Cancelled, 5000));
    EXPECT_TRUE(cdtest::waitUntil([&] { return processGone(group); }, 2000));
}

TEST(LocalRunner, MissingBinaryFailsFastWithAClearError)
{
    Stack st(StackOptions().noListen().withProfiles(profiles()));
    QElapsedTimer t;
    t.start();
    const auto job = st.scheduler->submit(spec(QStringLiteral("missing"))).value();
    ASSERT_TRUE(waitStatus(st, job.id, JobStatus::Failed, 1000));
    EXPECT_LT(t.elapsed(), 1000);
    const auto j = st.jobs->job(job.id).value();
    EXPECT_TRUE(j.error.contains(QStringLiteral("/nonexistent/bin/crawler")));
    EXPECT_TRUE(j.error.contains(QStringLiteral("not found")));
}

TEST(LocalRunner, UnknownProfileIsRefusedBeforeQueueing)
{
    Stack st(StackOptions().noListen().withProfiles(profiles()));
    const auto r = st.scheduler->submit(spec(QStringLiteral("nope")));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().code, Error::Code::Unprocessable);
    EXPECT_TRUE(r.error().detail.contains(QStringLiteral("--local-profile")));
    EXPECT_TRUE(st.jobs->jobs({}).isEmpty());
}

TEST(Scheduler, RespectsTheConcurrencyLimit)
{
    Stack st(StackOptions().noListen().slots(2).withProfiles(profiles()));
    int running = 0;
    int peak = 0;
    QObject ctx;
    QObject::connect(st.jobs.get(), &store::JobStore::jobChanged, &ctx, [&](const model::Job &) {
        running = static_cast<int>(st.jobs->withStatus({JobStatus::Starting, JobStatus::Running}).size());
        peak = qMax(peak, running);
    });
    QStringList ids;
    for (int i = 0; i < 5; ++i)
        ids << st.scheduler->submit(spec(QStringLiteral("sleep"))).value().id;
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->withStatus({JobStatus::Completed}).size() == 5; }, 15000));
    EXPECT_EQ(peak, 2);
}

TEST(Scheduler, TimeoutEndsTheJobTimedOut)
{
    Stack st(StackOptions().noListen().grace(500).withProfiles(profiles()));
    const auto job = st.scheduler->submit(spec(QStringLiteral("long"), 1, 1)).value();
    ASSERT_TRUE(waitStatus(st, job.id, JobStatus::TimedOut, 6000));
    EXPECT_TRUE(st.jobs->job(job.id)->error.contains(QStringLiteral("timed out")));
}

TEST(Scheduler, FailedJobsAreRetriedWhileAttemptsRemain)
{
    Stack st(StackOptions().noListen().withProfiles(profiles()));
    const auto job = st.scheduler->submit(spec(QStringLiteral("fail"), 3)).value();
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->withStatus({JobStatus::Failed}).size() == 3; }, 10000));
    cdtest::spin(500);
    const auto all = st.jobs->jobs({});
    ASSERT_EQ(all.size(), 3); // no fourth attempt
    QMap<int, model::Job> byAttempt;
    for (const auto &j : all)
        byAttempt.insert(j.attempt, j);
    EXPECT_EQ(byAttempt.value(2).retryOf, byAttempt.value(1).id);
    EXPECT_EQ(byAttempt.value(3).retryOf, byAttempt.value(2).id);
    EXPECT_EQ(byAttempt.value(1).id, job.id);
}

TEST(Scheduler, CancelAndRetryRules)
{
    Stack st(StackOptions().noListen().slots(1).withProfiles(profiles()));
    const auto busy = st.scheduler->submit(spec(QStringLiteral("long"))).value();
    const auto queued = st.scheduler->submit(spec(QStringLiteral("ok"))).value();
    ASSERT_TRUE(waitStatus(st, busy.id, JobStatus::Running));
    // A queued job is cancelled at once: nothing to stop.
    const auto c = st.scheduler->cancel(queued.id);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->status, JobStatus::Cancelled);
    EXPECT_EQ(st.scheduler->cancel(queued.id).error().code, Error::Code::Conflict);
    EXPECT_EQ(st.scheduler->retry(busy.id).error().code, Error::Code::Conflict);
    const auto again = st.scheduler->retry(queued.id);
    ASSERT_TRUE(again.ok());
    EXPECT_EQ(again->retryOf, queued.id);
    EXPECT_EQ(again->attempt, 2);
    st.scheduler->cancel(busy.id);
    ASSERT_TRUE(waitStatus(st, again->id, JobStatus::Completed));
}

TEST(Scheduler, RecoveryAfterRestart)
{
    QTemporaryDir dir;
    QString running, starting, cancelling, queued, retried, foreign;
    {
        Stack st(StackOptions().slots(1).noListen().withProfiles(profiles()).in(dir.path()));
        st.scheduler->stop(); // keep what we set up from running
        auto mk = [&](JobStatus target, int attempts = 1) {
            auto s = spec(QStringLiteral("ok"), attempts);
            auto j = st.jobs->insert(s).value();
            if (target == JobStatus::Queued)
                return j.id;
            if (target == JobStatus::Cancelling)
                return st.jobs->transition(j.id, JobStatus::Cancelling).value().id;
            j = st.jobs->transition(j.id, JobStatus::Starting).value();
            if (target == JobStatus::Running)
                j = st.jobs->transition(j.id, JobStatus::Running).value();
            return j.id;
        };
        running = mk(JobStatus::Running);
        starting = mk(JobStatus::Starting);
        cancelling = mk(JobStatus::Cancelling);
        queued = mk(JobStatus::Queued);
        retried = mk(JobStatus::Running, 2);
        // Started by another node sharing the database: recovery must leave it alone.
        foreign = mk(JobStatus::Running);
        store::JobPatch other;
        other.node = QStringLiteral("other-host:8000");
        st.jobs->update(foreign, other);
    }
    // "Restart": a new stack on the same data directory recovers and runs what is left.
    Stack st(StackOptions().noListen().withProfiles(profiles()).in(dir.path()));
    EXPECT_EQ(st.jobs->job(running)->status, JobStatus::Failed);
    EXPECT_EQ(st.jobs->job(running)->error, QStringLiteral("interrupted by restart"));
    EXPECT_EQ(st.jobs->job(starting)->status, JobStatus::Failed);
    EXPECT_EQ(st.jobs->job(cancelling)->status, JobStatus::Cancelled);
    EXPECT_EQ(st.jobs->job(foreign)->status, JobStatus::Running);
    ASSERT_TRUE(waitStatus(st, queued, JobStatus::Completed));
    EXPECT_TRUE(messages(st, running).contains(QStringLiteral("interrupted by restart")));
    // The job with attempts left gets a new attempt that completes.
    ASSERT_TRUE(cdtest::waitUntil([&] {
        for (const auto &j : st.jobs->jobs({}))
            if (j.retryOf == retried && j.status == JobStatus::Completed)
                return true;
        return false;
    }));
}

TEST(LocalRunner, ExternalJobsWaitForTheirWorkerWithoutHoldingASlot)
{
    Stack st(StackOptions().noListen().slots(1).withProfiles(profiles()));
    const auto busy = st.scheduler->submit(spec(QStringLiteral("long"))).value();
    ASSERT_TRUE(waitStatus(st, busy.id, JobStatus::Running));
    auto external = [&] {
        model::JobSpec s = spec(QStringLiteral("external"));
        return st.scheduler->submit(s).value().id;
    };
    const QString ok = external(), bad = external(), cancelled = external();
    for (const QString &id : {ok, bad, cancelled})
        ASSERT_TRUE(waitStatus(st, id, JobStatus::Running)); // the only slot is taken, yet they run
    EXPECT_EQ(st.scheduler->running(model::Backend::Local), 1);

    st.bus->append(ok, model::LogSource::Callback,
                   QStringList{QStringLiteral("[SUMMARY] {broken"), QStringLiteral("[INFO] still going")});
    cdtest::spin(100);
    EXPECT_EQ(st.jobs->job(ok)->status, JobStatus::Running); // an unreadable summary does not end it
    st.bus->append(ok, model::LogSource::Callback, QStringList{QStringLiteral("[SUMMARY] {\"status\": \"success\"}")});
    ASSERT_TRUE(waitStatus(st, ok, JobStatus::Completed));
    st.bus->append(bad, model::LogSource::Callback,
                   QStringList{QStringLiteral("[SUMMARY] {\"status\": \"error\", \"error\": \"quota exceeded\"}")});
    ASSERT_TRUE(waitStatus(st, bad, JobStatus::Failed));
    EXPECT_EQ(st.jobs->job(bad)->error, QStringLiteral("the worker reported failure: quota exceeded"));
    st.scheduler->cancel(cancelled);
    ASSERT_TRUE(waitStatus(st, cancelled, JobStatus::Cancelled));
    st.scheduler->cancel(busy.id);
}

TEST(LocalRunner, ExternalJobsKeepWaitingAcrossARestart)
{
    QTemporaryDir dir;
    QString id;
    {
        Stack st(StackOptions().noListen().withProfiles(profiles()).in(dir.path()));
        id = st.scheduler->submit(spec(QStringLiteral("external"))).value().id;
        ASSERT_TRUE(waitStatus(st, id, JobStatus::Running));
    }
    Stack st(StackOptions().noListen().withProfiles(profiles()).in(dir.path()));
    cdtest::spin(100);
    EXPECT_EQ(st.jobs->job(id)->status, JobStatus::Running);
    st.bus->append(id, model::LogSource::Callback, QStringList{QStringLiteral("[SUMMARY] {\"status\": \"success\"}")});
    ASSERT_TRUE(waitStatus(st, id, JobStatus::Completed));
}

// Issue 8: a retried job said "attempt 2 of 2" in its log while its JSON said max_attempts 1.
TEST(Bug, RetriedJobAttemptCountIsOneTruth)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const auto attemptOf = [&](const QString &id) {
        const auto j = cdtest::getJson(st.port(), "/api/jobs/" + id.toUtf8(), Stack::kToken).json();
        return QStringLiteral("%1 of %2")
            .arg(j.value(QStringLiteral("attempt")).toInt())
            .arg(j.value(QStringLiteral("max_attempts")).toInt());
    };
    const auto queuedLine = [&](const QString &id) {
        for (const QString &m : messages(st, id))
            if (m.startsWith(QStringLiteral("queued on")))
                return m;
        return QString();
    };

    // Automatic retry: attempt 2 of a job allowed 2 attempts.
    const auto first = st.scheduler->submit(spec(QStringLiteral("fail"), 2)).value();
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->retriesOf(first.id).size() == 1; }, 10000));
    const QString second = st.jobs->retriesOf(first.id).first().id;
    ASSERT_TRUE(waitStatus(st, second, JobStatus::Failed));
    EXPECT_EQ(attemptOf(second), QStringLiteral("2 of 2"));
    EXPECT_EQ(queuedLine(second), QStringLiteral("queued on local (attempt 2 of 2)"));

    // Manual retry past the budget (POST /api/jobs/{id}/retry): the budget grows to this attempt
    // in the JSON as in the log, and no automatic retry follows it.
    const auto r = cdtest::postJson(st.port(), "/api/jobs/" + second.toUtf8() + "/retry", {}, Stack::kToken);
    ASSERT_EQ(r.status, 201) << r.body.toStdString();
    const QString third = r.json().value(QStringLiteral("id")).toString();
    EXPECT_EQ(r.json().value(QStringLiteral("max_attempts")).toInt(), 3);
    ASSERT_TRUE(waitStatus(st, third, JobStatus::Failed));
    EXPECT_EQ(attemptOf(third), QStringLiteral("3 of 3"));
    EXPECT_EQ(queuedLine(third), QStringLiteral("queued on local (attempt 3 of 3)"));
    cdtest::spin(400); // the retry delay is 100 ms in tests
    EXPECT_TRUE(st.jobs->retriesOf(third).isEmpty());

    // A job allowed one attempt, retried by hand.
    const auto once = st.scheduler->submit(spec(QStringLiteral("fail"), 1)).value();
    ASSERT_TRUE(waitStatus(st, once.id, JobStatus::Failed));
    const auto again =
        cdtest::postJson(st.port(), "/api/jobs/" + once.id.toUtf8() + "/retry", {}, Stack::kToken).json();
    const QString againId = again.value(QStringLiteral("id")).toString();
    EXPECT_EQ(attemptOf(againId), QStringLiteral("2 of 2"));
    EXPECT_EQ(queuedLine(againId), QStringLiteral("queued on local (attempt 2 of 2)"));
}
