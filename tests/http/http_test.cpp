#include "stack.h"
#include "testutil.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QSslSocket>
#include <QUuid>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::HeaderList;
using cdtest::SseClient;
using cdtest::Stack;
using cdtest::StackOptions;
using model::JobStatus;

namespace {

const QByteArray kToken = Stack::kToken;

QMap<QString, QString> profiles()
{
    return {{QStringLiteral("crawler"), QStringLiteral("sleep 30")},
            {QStringLiteral("writer"),
             QStringLiteral("sh -c 'printf \"a,b\\n\" > domains.csv; mkdir -p d; echo hi > d/x.txt'")}};
}

QString startJob(Stack &st, const QJsonObject &extra = {})
{
    QJsonObject body{{QStringLiteral("domain_count"), 3},
                     {QStringLiteral("keywords"), QJsonArray{QStringLiteral("test keyword")}}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        body.insert(it.key(), it.value());
    const auto r = cdtest::postJson(st.port(), "/api/crawler/start", body, kToken);
    EXPECT_EQ(r.status, 200) << r.body.toStdString();
    return r.json().value(QStringLiteral("job_id")).toString();
}

// A worker's callback: with the job's own token unless `extra` brings other credentials.
cdtest::HttpResponse postLog(Stack &st, const QString &jobId, const QString &message, const HeaderList &extra = {})
{
    const HeaderList creds =
        extra.isEmpty() ? HeaderList{{"X-Callback-Token", st.auth->jobToken(jobId).toUtf8()}} : extra;
    return cdtest::postJson(st.port(), "/api/crawler/log",
                            QJsonObject{{QStringLiteral("job_id"), jobId}, {QStringLiteral("message"), message}}, {},
                            creds);
}

int rowsInOtherConnection(const QString &dbPath, const QString &jobId, const QString &message)
{
    const QString name = QUuid::createUuid().toString();
    int n = -1;
    {
        QSqlDatabase other = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        other.setDatabaseName(dbPath);
        other.open();
        QSqlQuery q(other);
        q.prepare(QStringLiteral("SELECT COUNT(*) FROM job_logs WHERE job_id = ? AND message = ?"));
        q.addBindValue(jobId);
        q.addBindValue(message);
        if (q.exec() && q.next())
            n = q.value(0).toInt();
    }
    QSqlDatabase::removeDatabase(name);
    return n;
}

} // namespace

// Seed 001 "Test 2": start, three log callbacks, a live SSE stream, status, cancel.
TEST(Http, SeedFlowEndToEnd)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const auto start =
        cdtest::postJson(st.port(), "/api/crawler/start",
                         QJsonObject{{QStringLiteral("domain_count"), 3},
                                     {QStringLiteral("keywords"), QJsonArray{QStringLiteral("test keyword")}}},
                         kToken);
    ASSERT_EQ(start.status, 200);
    const QString id = start.json().value(QStringLiteral("job_id")).toString();
    EXPECT_FALSE(id.isEmpty());
    EXPECT_EQ(start.json().value(QStringLiteral("status")).toString(), QStringLiteral("queued"));
    EXPECT_TRUE(start.json().value(QStringLiteral("callback_url")).toString().contains(QStringLiteral("token=")));

    SseClient sse(st.port(), "/api/crawler/logs/" + id.toUtf8(), {{"Authorization", "Bearer " + kToken}});
    ASSERT_EQ(sse.status(), 200);
    const QStringList sent{QStringLiteral("[INFO] Test log 1"), QStringLiteral("[INFO] Test log 2"),
                           QStringLiteral("[SUCCESS] Test completed")};
    for (const QString &m : sent) {
        const auto r = postLog(st, id, m);
        ASSERT_EQ(r.status, 200) << r.body.toStdString();
        EXPECT_EQ(r.json().value(QStringLiteral("status")).toString(), QStringLiteral("success"));
        EXPECT_EQ(r.json().value(QStringLiteral("message")).toString(),
                  QStringLiteral("Log message received and queued"));
    }
    ASSERT_TRUE(cdtest::waitUntil([&] {
        QStringList got;
        for (const auto &m : sse.messages())
            if (m.startsWith("[INFO] Test") || m.startsWith("[SUCCESS] Test"))
                got << QString::fromUtf8(m);
        return got == sent;
    }));
    // ids are the job's sequence numbers, strictly increasing.
    qint64 last = 0;
    for (const auto &e : sse.events()) {
        if (!e.event.isEmpty())
            continue;
        EXPECT_GT(e.id.toLongLong(), last);
        last = e.id.toLongLong();
    }

    const auto status = cdtest::getJson(st.port(), "/api/crawler/status/" + id.toUtf8(), kToken);
    ASSERT_EQ(status.status, 200);
    EXPECT_EQ(status.json().value(QStringLiteral("status")).toString(), QStringLiteral("running"));

    const auto cancel = cdtest::postJson(st.port(), "/api/crawler/cancel/" + id.toUtf8(), {}, kToken);
    ASSERT_EQ(cancel.status, 200) << cancel.body.toStdString();
    ASSERT_TRUE(sse.waitForEvent("end", 10000));
    EXPECT_TRUE(sse.events().last().data.contains("\"cancelled\""));
    EXPECT_TRUE(sse.waitForClose());
    EXPECT_EQ(st.jobs->job(id)->status, JobStatus::Cancelled);
    EXPECT_EQ(cdtest::postJson(st.port(), "/api/crawler/cancel/" + id.toUtf8(), {}, kToken).status, 409);
}

TEST(Http, LogCallbackAnswersOnlyAfterTheLineIsCommitted)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const QString id = startJob(st);
    for (int i = 0; i < 20; ++i) {
        const QString msg = QStringLiteral("[INFO] durable %1").arg(i);
        const auto r = postLog(st, id, msg);
        ASSERT_EQ(r.status, 200);
        // Checked from a second connection right after the 200, before this process commits more.
        EXPECT_EQ(rowsInOtherConnection(st.dbPath(), id, msg), 1);
    }
}

TEST(Http, SseResumesFromLastEventIdAndAfter)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const QString id = startJob(st);
    for (int i = 1; i <= 5; ++i)
        ASSERT_EQ(postLog(st, id, QStringLiteral("line %1").arg(i)).status, 200);
    const qint64 seqOfLine3 = st.logs->lines(store::LogQuery{id, 0, 100, {}, QStringLiteral("line 3")}).first().seq;

    SseClient resumed(st.port(), "/api/crawler/logs/" + id.toUtf8(),
                      {{"Last-Event-ID", QByteArray::number(seqOfLine3)}, {"Authorization", "Bearer " + kToken}});
    ASSERT_TRUE(resumed.waitForMessages(2));
    cdtest::spin(200);
    EXPECT_EQ(resumed.messages(), (QList<QByteArray>{"line 4", "line 5"}));
    EXPECT_EQ(resumed.events().at(1).id.toLongLong(), seqOfLine3 + 1);

    SseClient viaQuery(st.port(), "/api/crawler/logs/" + id.toUtf8() + "?after=" + QByteArray::number(seqOfLine3 + 1),
                       {{"Authorization", "Bearer " + kToken}});
    ASSERT_TRUE(viaQuery.waitForMessages(1));
    cdtest::spin(200);
    EXPECT_EQ(viaQuery.messages(), (QList<QByteArray>{"line 5"}));
}

TEST(Http, EverySubscriberGetsEveryLine)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const QString id = startJob(st);
    SseClient a(st.port(), "/api/crawler/logs/" + id.toUtf8(), {{"Authorization", "Bearer " + kToken}});
    SseClient b(st.port(), "/api/crawler/logs/" + id.toUtf8(), {{"Authorization", "Bearer " + kToken}});
    const qint64 before = st.logs->lastSeq(id) + st.logs->pendingCount();
    QJsonArray batch;
    for (int i = 0; i < 300; ++i)
        batch.append(QStringLiteral("[INFO] n=%1").arg(i));
    ASSERT_EQ(cdtest::postJson(st.port(), "/api/crawler/log",
                               QJsonObject{{QStringLiteral("job_id"), id}, {QStringLiteral("messages"), batch}}, kToken)
                  .status,
              200);
    for (SseClient *c : {&a, &b}) {
        ASSERT_TRUE(c->waitForMessages(static_cast<int>(before) + 300, 5000));
        QList<QByteArray> ns;
        for (const auto &m : c->messages())
            if (m.startsWith("[INFO] n="))
                ns << m;
        ASSERT_EQ(ns.size(), 300);
        EXPECT_EQ(ns.first(), "[INFO] n=0");
        EXPECT_EQ(ns.last(), "[INFO] n=299");
    }
}

TEST(Http, SlowSubscriberMissesNothingAndCostsBoundedMemory)
{
    Stack st(StackOptions().withProfiles(profiles()));
    st.sse->setBufferCap(16 * 1024);
    const QString id = startJob(st);
    SseClient slow(st.port(), "/api/crawler/logs/" + id.toUtf8(), {{"Authorization", "Bearer " + kToken}});
    slow.socket()->setReadBufferSize(1024);
    slow.stopReading(true);
    const QString payload = QString(200, u'x');
    for (int round = 0; round < 20; ++round) {
        QJsonArray batch;
        for (int i = 0; i < 100; ++i)
            batch.append(QString(QStringLiteral("[INFO] r%1 i%2 ").arg(round).arg(i) + payload));
        ASSERT_EQ(cdtest::postJson(st.port(), "/api/crawler/log",
                                   QJsonObject{{QStringLiteral("job_id"), id}, {QStringLiteral("messages"), batch}},
                                   kToken)
                      .status,
                  200);
    }
    slow.stopReading(false);
    slow.socket()->setReadBufferSize(0);
    ASSERT_TRUE(slow.waitForMessages(2000 + 2, 20000));
    QList<QByteArray> got;
    for (const auto &m : slow.messages())
        if (m.startsWith("[INFO] r"))
            got << m;
    ASSERT_EQ(got.size(), 2000);
    EXPECT_TRUE(got.last().startsWith("[INFO] r19 i99 "));
}

TEST(Http, ClientLeavingMidStreamIsHarmless)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const QString id = startJob(st);
    {
        SseClient gone(st.port(), "/api/crawler/logs/" + id.toUtf8(), {{"Authorization", "Bearer " + kToken}});
        ASSERT_EQ(gone.status(), 200);
    }
    for (int i = 0; i < 50; ++i)
        ASSERT_EQ(postLog(st, id, QStringLiteral("after leave %1").arg(i)).status, 200);
    EXPECT_TRUE(cdtest::waitUntil([&] { return st.sse->subscriberCount() == 0; }));
    EXPECT_EQ(cdtest::getJson(st.port(), "/health").status, 200);
}

TEST(Http, UnknownJobsAre404WithAMessageThatSaysSo)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const auto r =
        postLog(st, QStringLiteral("abc-123"), QStringLiteral("[INFO] lost?"), {{"X-API-Key", Stack::kCallbackKey}});
    EXPECT_EQ(r.status, 404);
    EXPECT_EQ(r.json().value(QStringLiteral("error")).toString(), QStringLiteral("not_found"));
    EXPECT_TRUE(r.json().value(QStringLiteral("detail")).toString().contains(QStringLiteral("abc-123")));
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/crawler/status/abc-123", kToken).status, 404);
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/jobs/abc-123/logs", kToken).status, 404);
    SseClient sse(st.port(), "/api/crawler/logs/abc-123", {{"Authorization", "Bearer " + kToken}});
    EXPECT_EQ(sse.status(), 404);
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/nothing/here", kToken).status, 404);
}

TEST(Http, BadBodiesGetClearErrorsAndLoseNothing)
{
    Stack st(StackOptions().withProfiles(profiles()).bodyCap(64 * 1024));
    const QString id = startJob(st);
    const HeaderList json{{"Content-Type", "application/json"}, {"X-API-Key", Stack::kCallbackKey}};
    auto post = [&](const QByteArray &body, const HeaderList &h) {
        return cdtest::request(st.port(), "POST", "/api/crawler/log", body, h);
    };
    const auto malformed = post("{\"job_id\": ", json);
    EXPECT_EQ(malformed.status, 400);
    EXPECT_TRUE(
        malformed.json().value(QStringLiteral("detail")).toString().startsWith(QStringLiteral("malformed JSON")));
    EXPECT_EQ(post("[1,2]", json).status, 422);
    EXPECT_EQ(post("{\"message\":\"no id\"}", json).status, 422);
    EXPECT_EQ(post("{\"job_id\":\"" + id.toUtf8() + "\"}", json).status, 422);
    EXPECT_EQ(post("{\"job_id\":\"" + id.toUtf8() + "\",\"message\":42}", json).status, 422);
    EXPECT_EQ(post("{\"job_id\":\"" + id.toUtf8() + "\",\"messages\":[\"a\",1]}", json).status, 422);
    EXPECT_EQ(
        post("job_id=x", {{"Content-Type", "application/x-www-form-urlencoded"}, {"X-API-Key", Stack::kCallbackKey}})
            .status,
        415);
    EXPECT_EQ(post("", json).status, 422);

    // Oversized: refused with 413 before the body is read, and the server stays healthy.
    const QByteArray big = "{\"job_id\":\"" + id.toUtf8() + "\",\"message\":\"" + QByteArray(128 * 1024, 'x') + "\"}";
    const auto tooBig = post(big, json);
    EXPECT_EQ(tooBig.status, 413);
    EXPECT_EQ(cdtest::getJson(st.port(), "/health").status, 200);

    // Invalid UTF-8 inside a message: kept, with replacement characters.
    const auto bad = post("{\"job_id\":\"" + id.toUtf8() + "\",\"message\":\"[ERROR] bytes \xFF\xFE here\"}", json);
    ASSERT_EQ(bad.status, 200) << bad.body.toStdString();
    const auto lines = st.logs->lines(store::LogQuery{id, 0, 100, {}, QStringLiteral("here")});
    ASSERT_EQ(lines.size(), 1);
    EXPECT_TRUE(lines.first().message.contains(QChar::ReplacementCharacter));
    EXPECT_EQ(lines.first().level, model::LogLevel::Error);

    // Create-job validation names the field.
    const auto badStart = cdtest::postJson(st.port(), "/api/crawler/start",
                                           QJsonObject{{QStringLiteral("keywords"), QJsonArray{QStringLiteral("x")}},
                                                       {QStringLiteral("domain_count"), QStringLiteral("three")}},
                                           kToken);
    EXPECT_EQ(badStart.status, 422);
    EXPECT_TRUE(badStart.json().value(QStringLiteral("detail")).toString().contains(QStringLiteral("domain_count")));
    EXPECT_EQ(
        cdtest::postJson(st.port(), "/api/crawler/start", QJsonObject{{QStringLiteral("domain_count"), 3}}, kToken)
            .status,
        422);
}

TEST(Http, WrongMethodIs405WithAllow)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const auto r = cdtest::getJson(st.port(), "/api/crawler/log", kToken);
    EXPECT_EQ(r.status, 405);
    EXPECT_EQ(r.headers.value("allow"), "POST");
    EXPECT_EQ(cdtest::request(st.port(), "DELETE", "/api/jobs").status, 405);
}

TEST(Http, UnconfiguredBackendIs503WithWhatToConfigure)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const auto r = cdtest::postJson(st.port(), "/api/crawler/start",
                                    QJsonObject{{QStringLiteral("keywords"), QJsonArray{QStringLiteral("x")}},
                                                {QStringLiteral("backend"), QStringLiteral("runpod")}},
                                    kToken);
    EXPECT_EQ(r.status, 503);
    EXPECT_TRUE(r.json().value(QStringLiteral("detail")).toString().contains(QStringLiteral("RUNPOD_ENDPOINT_URL")));
}

TEST(Http, JobsApiListsPagesLogsAndArtifacts)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const auto created = cdtest::postJson(st.port(), "/api/jobs",
                                          QJsonObject{{QStringLiteral("profile"), QStringLiteral("writer")},
                                                      {QStringLiteral("kind"), QStringLiteral("export")}},
                                          kToken);
    ASSERT_EQ(created.status, 201) << created.body.toStdString();
    const QString id = created.json().value(QStringLiteral("id")).toString();
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(id)->status == JobStatus::Completed; }));
    const QString running = startJob(st);

    const auto list = cdtest::getJson(st.port(), "/api/jobs?status=completed", kToken);
    ASSERT_EQ(list.status, 200);
    const auto jobs = list.json().value(QStringLiteral("jobs")).toArray();
    ASSERT_EQ(jobs.size(), 1);
    EXPECT_EQ(jobs.first().toObject().value(QStringLiteral("id")).toString(), id);
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/jobs?status=bogus", kToken).status, 400);
    const auto page1 = cdtest::getJson(st.port(), "/api/jobs?limit=1", kToken).json();
    EXPECT_EQ(page1.value(QStringLiteral("jobs")).toArray().first().toObject().value(QStringLiteral("id")).toString(),
              running);
    const QString next = page1.value(QStringLiteral("next_before")).toString();
    const auto page2 = cdtest::getJson(st.port(), "/api/jobs?limit=1&before=" + next.toUtf8(), kToken).json();
    EXPECT_EQ(page2.value(QStringLiteral("jobs")).toArray().first().toObject().value(QStringLiteral("id")).toString(),
              id);

    for (const char *m : {"[INFO] a", "[ERROR] b", "[INFO] c"})
        postLog(st, running, QString::fromLatin1(m));
    const auto errors =
        cdtest::getJson(st.port(), "/api/jobs/" + running.toUtf8() + "/logs?level=ERROR", kToken).json();
    ASSERT_EQ(errors.value(QStringLiteral("lines")).toArray().size(), 1);
    EXPECT_EQ(
        errors.value(QStringLiteral("lines")).toArray().first().toObject().value(QStringLiteral("message")).toString(),
        QStringLiteral("[ERROR] b"));
    const auto paged = cdtest::getJson(st.port(), "/api/jobs/" + running.toUtf8() + "/logs?limit=2", kToken).json();
    EXPECT_TRUE(paged.value(QStringLiteral("has_more")).toBool());
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/jobs/" + running.toUtf8() + "/logs?level=LOUD", kToken).status, 400);
    const auto text = cdtest::getJson(st.port(), "/api/jobs/" + running.toUtf8() + "/logs.txt", kToken);
    EXPECT_EQ(text.status, 200);
    EXPECT_TRUE(text.body.contains(" ERROR [ERROR] b\n"));

    const auto arts = cdtest::getJson(st.port(), "/api/jobs/" + id.toUtf8() + "/artifacts", kToken).json();
    EXPECT_EQ(arts.value(QStringLiteral("artifacts")).toArray().size(), 2);
    const auto file = cdtest::getJson(st.port(), "/api/jobs/" + id.toUtf8() + "/artifacts/domains.csv", kToken);
    EXPECT_EQ(file.status, 200);
    EXPECT_EQ(file.body, "a,b\n");
    EXPECT_TRUE(file.headers.value("content-disposition").contains("domains.csv"));
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/jobs/" + id.toUtf8() + "/artifacts/d/x.txt", kToken).body, "hi\n");
    EXPECT_EQ(
        cdtest::getJson(st.port(), "/api/jobs/" + id.toUtf8() + "/artifacts/..%2F..%2Fcrawldeck.db", kToken).status,
        400);
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/jobs/" + id.toUtf8() + "/artifacts/nope.txt", kToken).status, 404);

    EXPECT_EQ(cdtest::postJson(st.port(), "/api/jobs/" + id.toUtf8() + "/retry", {}, kToken).status, 409);
    ASSERT_EQ(cdtest::postJson(st.port(), "/api/jobs/" + running.toUtf8() + "/cancel", {}, kToken).status, 200);
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(running)->status == JobStatus::Cancelled; }, 5000));
    const auto retry = cdtest::postJson(st.port(), "/api/jobs/" + running.toUtf8() + "/retry", {}, kToken);
    ASSERT_EQ(retry.status, 201);
    EXPECT_EQ(retry.json().value(QStringLiteral("retry_of")).toString(), running);
    EXPECT_EQ(retry.json().value(QStringLiteral("attempt")).toInt(), 2);
}

TEST(Http, ConcurrentCallbacksKeepSeqGapless)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const QString a = startJob(st);
    const QString b = startJob(st);
    // Many sockets in flight at once, interleaving two jobs.
    QList<QTcpSocket *> sockets;
    for (int i = 0; i < 40; ++i) {
        auto *s = new QTcpSocket;
        s->connectToHost(QStringLiteral("127.0.0.1"), st.port());
        const QString id = i % 2 ? a : b;
        const QByteArray body = "{\"job_id\":\"" + id.toUtf8() + "\",\"messages\":[\"x1\",\"x2\",\"x3\"]}";
        s->write("POST /api/crawler/log HTTP/1.1\r\nHost: x\r\nX-API-Key: " + Stack::kCallbackKey +
                 "\r\nContent-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
                 "\r\n\r\n" + body);
        sockets << s;
    }
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            for (auto *s : sockets)
                if (!s->peek(64).startsWith("HTTP/1.1 200"))
                    return false;
            return true;
        },
        10000));
    qDeleteAll(sockets);
    for (const QString &id : {a, b}) {
        const auto lines = st.logs->lines(store::LogQuery{id, 0, 10000, {}, {}});
        for (int i = 0; i < lines.size(); ++i)
            ASSERT_EQ(lines.at(i).seq, i + 1);
        EXPECT_EQ(lines.size(), static_cast<qsizetype>(st.jobs->job(id)->logCount));
    }
}

TEST(Http, EnqueueAnswersAtOnceWhileSlotsAreFull)
{
    Stack st(StackOptions().withProfiles(profiles()).slots(1));
    const QJsonObject crawler{{QStringLiteral("profile"), QStringLiteral("crawler")}};
    startJob(st, crawler); // occupies the only slot with `sleep 30`
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.scheduler->running(model::Backend::Local) == 1; }));
    for (int i = 0; i < 5; ++i) {
        QElapsedTimer t;
        t.start();
        const QString id = startJob(st, crawler);
        EXPECT_LT(t.elapsed(), 100) << "enqueue took " << t.elapsed() << " ms";
        EXPECT_EQ(st.jobs->job(id)->status, JobStatus::Queued);
    }
}

TEST(Http, ServesOverTlsWhenGivenACertificate)
{
    QTemporaryDir dir;
    const QString key = dir.filePath(QStringLiteral("key.pem")), cert = dir.filePath(QStringLiteral("cert.pem"));
    QProcess openssl;
    openssl.start(QStringLiteral("openssl"),
                  {QStringLiteral("req"), QStringLiteral("-x509"), QStringLiteral("-newkey"),
                   QStringLiteral("rsa:2048"), QStringLiteral("-nodes"), QStringLiteral("-keyout"), key,
                   QStringLiteral("-out"), cert, QStringLiteral("-days"), QStringLiteral("1"), QStringLiteral("-subj"),
                   QStringLiteral("/CN=127.0.0.1")});
    if (!openssl.waitForFinished(30000) || openssl.exitCode() != 0)
        GTEST_SKIP() << "\n\n*** SKIPPED: openssl is missing; TLS was NOT exercised ***\n";
    Stack st(StackOptions().noListen().withProfiles(profiles()));
    const auto port = st.api->listen(QHostAddress(QHostAddress::LocalHost), 0, cert, key);
    ASSERT_TRUE(port.ok()) << port.error().detail.toStdString();
    QSslSocket s;
    s.setPeerVerifyMode(QSslSocket::VerifyNone); // self-signed for the test
    s.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port.value());
    ASSERT_TRUE(cdtest::waitUntil([&] { return s.isEncrypted(); }, 10000)) << s.errorString().toStdString();
    s.write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    QByteArray got;
    cdtest::waitUntil(
        [&] {
            got += s.readAll();
            return got.contains("\"status\":\"ok\"");
        },
        10000);
    EXPECT_TRUE(got.startsWith("HTTP/1.1 200")) << got.toStdString();
    EXPECT_TRUE(got.contains("\"status\":\"ok\""));
    // A bad certificate path is a clear error, not a silent plain-text listener.
    const auto bad =
        st.api->listen(QHostAddress(QHostAddress::LocalHost), 0, dir.filePath(QStringLiteral("missing.pem")), key);
    ASSERT_FALSE(bad.ok());
    EXPECT_TRUE(bad.error().detail.contains(QStringLiteral("TLS")));
}

TEST(Http, EventsStreamJobChangesAndMetricsCountThem)
{
    Stack st(StackOptions().withProfiles(profiles()));
    SseClient events(st.port(), "/api/events", {{"Authorization", "Bearer " + kToken}});
    ASSERT_EQ(events.status(), 200);
    const QString id = startJob(st);
    ASSERT_EQ(postLog(st, id, QStringLiteral("[INFO] Progress: 30%")).status, 200);
    ASSERT_TRUE(cdtest::waitUntil([&] {
        int created = 0, progressed = 0;
        for (const auto &e : events.events()) {
            const QJsonObject o = QJsonDocument::fromJson(e.data).object();
            if (e.event != "job" ||
                o.value(QStringLiteral("job")).toObject().value(QStringLiteral("id")).toString() != id)
                continue;
            created += o.value(QStringLiteral("type")).toString() == u"created";
            progressed += o.value(QStringLiteral("job")).toObject().value(QStringLiteral("progress")).toInt() == 30;
        }
        return created == 1 && progressed >= 1;
    }));

    const auto m = cdtest::getJson(st.port(), "/metrics", kToken);
    ASSERT_EQ(m.status, 200);
    EXPECT_TRUE(m.headers.value("content-type").startsWith("text/plain"));
    EXPECT_TRUE(m.body.contains("crawldeck_jobs{status=\"running\"} 1\n")) << m.body.toStdString();
    EXPECT_TRUE(m.body.contains("crawldeck_backend_slots{backend=\"local\"} 2\n"));
    EXPECT_TRUE(m.body.contains("crawldeck_streams{kind=\"events\"} 1\n"));
    EXPECT_TRUE(m.body.contains("# TYPE crawldeck_log_lines_committed_total counter"));
    const qsizetype at = m.body.indexOf("\ncrawldeck_log_lines_committed_total ");
    ASSERT_GE(at, 0);
    EXPECT_GE(m.body.mid(at + 37, 10).split('\n').first().toInt(), 1);

    EXPECT_EQ(cdtest::getJson(st.port(), "/metrics").status, 401);
}

TEST(Http, HeadIsGetWithoutABodyAndConnectionCloseIsHonoured)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const auto get = cdtest::getJson(st.port(), "/health");
    const auto head = cdtest::request(st.port(), "HEAD", "/health");
    EXPECT_EQ(head.status, 200);
    EXPECT_TRUE(head.body.isEmpty());
    EXPECT_EQ(head.headers.value("content-length").toInt(), get.body.size());
    EXPECT_EQ(head.headers.value("connection"), "close");
    const auto wrong = cdtest::request(st.port(), "PUT", "/health");
    EXPECT_EQ(wrong.status, 405);
    EXPECT_EQ(wrong.headers.value("allow"), "GET, HEAD");

    // Keep-alive stays open; Connection: close is closed by the server after the answer.
    QTcpSocket keep;
    keep.connectToHost(QStringLiteral("127.0.0.1"), st.port());
    ASSERT_TRUE(keep.waitForConnected(3000));
    keep.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n");
    ASSERT_TRUE(cdtest::waitUntil([&] { return keep.bytesAvailable() > 0; }));
    cdtest::spin(200);
    EXPECT_EQ(keep.state(), QAbstractSocket::ConnectedState);
    QTcpSocket once;
    once.connectToHost(QStringLiteral("127.0.0.1"), st.port());
    ASSERT_TRUE(once.waitForConnected(3000));
    once.write("GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    EXPECT_TRUE(cdtest::waitUntil([&] { return once.state() == QAbstractSocket::UnconnectedState; }, 3000));
}

// One call's lines go into the database in multi-row statements of several sizes: every line must
// arrive once, in order, whatever the split (137 = 2×50 + 3×10 + 7×1).
TEST(Http, ABatchIsStoredWholeAndInOrderWhateverItsSize)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const QString id = startJob(st);
    for (const int n : {137, 1, 50, 61}) {
        QJsonArray messages;
        for (int i = 0; i < n; ++i)
            messages.append(QStringLiteral("[INFO] batch %1 line %2").arg(n).arg(i));
        const auto r =
            cdtest::postJson(st.port(), "/api/crawler/log",
                             QJsonObject{{QStringLiteral("job_id"), id}, {QStringLiteral("messages"), messages}}, {},
                             {{"X-Callback-Token", st.auth->jobToken(id).toUtf8()}});
        ASSERT_EQ(r.status, 200) << r.body.toStdString();
        EXPECT_EQ(r.json().value(QStringLiteral("lines")).toInt(), n);
        const auto lines = st.logs->lines(store::LogQuery{id, 0, 10000, {}, QStringLiteral("batch %1 line").arg(n)});
        ASSERT_EQ(lines.size(), n);
        for (int i = 0; i < n; ++i) {
            EXPECT_EQ(lines.at(i).message, QStringLiteral("[INFO] batch %1 line %2").arg(n).arg(i));
            EXPECT_TRUE(lines.at(i).ts.isValid());
            if (i > 0) {
                EXPECT_EQ(lines.at(i).seq, lines.at(i - 1).seq + 1);
            }
        }
    }
}

// The listener parses the request target itself: a percent-encoded path segment names the same
// job as the plain one, and a query is read the same way.
TEST(Http, PercentEncodedPathSegmentsAndQueriesAreDecodedOnce)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const QString id = startJob(st);
    ASSERT_FALSE(id.isEmpty());
    const QByteArray plain = "/api/crawler/status/" + id.toUtf8();
    const QByteArray encoded =
        "/api/crawler/status/%" + QByteArray::number(id.at(0).unicode(), 16) + id.mid(1).toUtf8();
    const auto a = cdtest::getJson(st.port(), plain, kToken);
    const auto b = cdtest::getJson(st.port(), encoded, kToken);
    ASSERT_EQ(a.status, 200) << a.body.toStdString();
    ASSERT_EQ(b.status, 200) << b.body.toStdString();
    EXPECT_EQ(b.json().value(QStringLiteral("id")).toString(), id);
    // A query parameter the route does not take is refused, encoded or not.
    EXPECT_EQ(cdtest::getJson(st.port(), plain + "?%6Eope=1", kToken).status, 400);
}

// The committed-callback answer is written without a QJsonObject: byte for byte what the JSON
// writer makes of the documented object.
TEST(Http, TheLogAnswerIsExactlyTheDocumentedObject)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const QString id = startJob(st);
    const auto r = postLog(st, id, QStringLiteral("[INFO] one\n[INFO] two"));
    ASSERT_EQ(r.status, 200);
    const QJsonObject expected{{QStringLiteral("status"), QStringLiteral("success")},
                               {QStringLiteral("job_id"), id},
                               {QStringLiteral("message"), QStringLiteral("Log message received and queued")},
                               {QStringLiteral("lines"), 2}};
    EXPECT_EQ(r.body, QJsonDocument(expected).toJson(QJsonDocument::Compact));
}
