// The client library against the real server (in process, over loopback) and against a server in
// trouble (FlakyServer): typed calls, retries with backoff, version checks, streams and downloads.
#include "client/apiclient.h"
#include "client/artifactdownload.h"
#include "client/jobwatcher.h"
#include "client/ssereader.h"
#include "flakyserver.h"
#include "stack.h"
#include "testutil.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QTemporaryDir>

#include <QCoro/QCoroTask>

#include <gtest/gtest.h>

using cd::client::ApiClient;
using cd::client::ClientConfig;
using cd::client::ClientError;
using cdtest::FlakyServer;
using Kind = ClientError::Kind;

namespace {

// QCoro::waitFor wants a default-constructible result; a Result is not.
template<typename T> T finish(QCoro::Task<T> &&task)
{
    auto wrapped = [](QCoro::Task<T> t) -> QCoro::Task<std::optional<T>> { co_return co_await std::move(t); };
    return *QCoro::waitFor(wrapped(std::move(task)));
}
template<typename T> T finish(QCoro::Task<T> &task)
{
    return finish(std::move(task));
}

ClientConfig configFor(quint16 port, const QByteArray &token = cdtest::Stack::kToken)
{
    ClientConfig c;
    c.baseUrl = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port));
    c.token = token;
    c.backoffBaseMs = 20;
    c.backoffCapMs = 3000;
    return c;
}

cd::model::JobSpec externalJob()
{
    cd::model::JobSpec spec;
    spec.params = QJsonObject{{QStringLiteral("profile"), QStringLiteral("external")},
                              {QStringLiteral("keywords"), QJsonArray{QStringLiteral("solar")}}};
    return spec;
}

void postLines(quint16 port, const QString &jobId, const QStringList &lines)
{
    const auto r = cdtest::postJson(
        port, "/api/crawler/log",
        QJsonObject{{QStringLiteral("job_id"), jobId}, {QStringLiteral("messages"), QJsonArray::fromStringList(lines)}},
        cdtest::Stack::kToken);
    ASSERT_EQ(r.status, 200) << r.body.toStdString();
}

} // namespace

TEST(ClientLibrary, TypedCallsAgainstTheRealServer)
{
    cdtest::Stack stack;
    ApiClient api(configFor(stack.port()));

    const auto health = finish(api.health());
    ASSERT_TRUE(health) << health.error().describe().toStdString();
    EXPECT_EQ(health->apiVersion, cd::client::kApiVersion);
    EXPECT_EQ(health->status, QStringLiteral("ok"));

    const auto created = finish(api.createJob(externalJob()));
    ASSERT_TRUE(created) << created.error().describe().toStdString();
    const QString id = created->job.id;
    EXPECT_TRUE(created->callbackUrl.contains(id));
    EXPECT_EQ(created->job.params.value(QStringLiteral("keywords")).toArray().first().toString(), u"solar");

    postLines(stack.port(), id, {QStringLiteral("[INFO] one"), QStringLiteral("[ERROR] two"), QStringLiteral("three")});
    const auto errors = finish(api.logs(id, cd::client::LogQuery{0, 100, {QStringLiteral("ERROR")}, {}}));
    ASSERT_TRUE(errors) << errors.error().describe().toStdString();
    ASSERT_EQ(errors->lines.size(), 1);
    EXPECT_EQ(errors->lines.first().message, QStringLiteral("[ERROR] two"));
    EXPECT_EQ(errors->lines.first().level, cd::model::LogLevel::Error);

    // The job the list gives, the job the item gives and the server's own JSON agree field by field.
    const auto running = finish(
        api.jobs(cd::client::JobQuery{{QStringLiteral("running")}, QStringLiteral("local"), id.left(8), 10, {}}));
    ASSERT_TRUE(running) << running.error().describe().toStdString();
    ASSERT_EQ(running->jobs.size(), 1);
    const auto one = finish(api.job(id));
    ASSERT_TRUE(one);
    QJsonObject fromServer = cdtest::getJson(stack.port(), "/api/jobs/" + id.toUtf8(), cdtest::Stack::kToken).json();
    // The item also gives the API token's holder the job's callback URL, which is no field of a job.
    EXPECT_EQ(fromServer.take(QStringLiteral("callback_url")).toString(), stack.callbackUrlFor(id));
    EXPECT_EQ(one->toJson(), fromServer);
    EXPECT_EQ(running->jobs.first().toJson().value(QStringLiteral("id")), fromServer.value(QStringLiteral("id")));

    const auto cancelled = finish(api.cancelJob(id));
    ASSERT_TRUE(cancelled) << cancelled.error().describe().toStdString();
    EXPECT_TRUE(cancelled->status == cd::model::JobStatus::Cancelled ||
                cancelled->status == cd::model::JobStatus::Cancelling);
    ASSERT_TRUE(cdtest::waitUntil([&] { return stack.jobs->job(id)->status == cd::model::JobStatus::Cancelled; }));
    const auto again = finish(api.cancelJob(id));
    ASSERT_FALSE(again);
    EXPECT_EQ(again.error().kind, Kind::Http);
    EXPECT_EQ(again.error().status, 409);
    const auto retried = finish(api.retryJob(id));
    ASSERT_TRUE(retried) << retried.error().describe().toStdString();
    EXPECT_EQ(retried->retryOf, id);
    EXPECT_EQ(retried->attempt, 2);

    const auto artifacts = finish(api.artifacts(id));
    ASSERT_TRUE(artifacts);
    EXPECT_TRUE(artifacts->isEmpty());
    const auto nodes = finish(api.nodes());
    ASSERT_TRUE(nodes) << nodes.error().describe().toStdString();

    // Every answer says the API version, errors included.
    const auto raw =
        cdtest::getJson(stack.port(), "/api/jobs/00000000-0000-0000-0000-000000000000", cdtest::Stack::kToken);
    EXPECT_EQ(raw.status, 404);
    EXPECT_EQ(raw.headers.value("crawldeck-api-version"), QByteArray("1"));
    const auto missing = finish(api.job(QStringLiteral("00000000-0000-0000-0000-000000000000")));
    ASSERT_FALSE(missing);
    EXPECT_EQ(missing.error().status, 404);
    EXPECT_EQ(missing.error().code, QStringLiteral("not_found"));

    ApiClient stranger(configFor(stack.port(), "wrong"));
    const auto refused = finish(stranger.jobs({}));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().status, 401);
}

TEST(ClientLibrary, Retries429And503HonouringRetryAfter)
{
    FlakyServer server([](QTcpSocket *s, const QByteArray &, int i) {
        if (i == 0)
            s->write(FlakyServer::answer(503, R"({"error":"unavailable","detail":"busy"})", "Retry-After: 1\r\n"));
        else if (i == 1)
            s->write(FlakyServer::answer(429, R"({"error":"too_many_requests"})", "Retry-After: 1\r\n", {}));
        else
            s->write(FlakyServer::answer(200, R"({"status":"ok","version":"x","api_version":1})"));
    });
    ApiClient api(configFor(server.port()));
    QElapsedTimer t;
    t.start();
    const auto health = finish(api.health());
    ASSERT_TRUE(health) << health.error().describe().toStdString();
    EXPECT_EQ(server.requests(), 3);
    // Two waits of Retry-After: 1 s, although the backoff alone would have been ~20 ms.
    EXPECT_GE(t.elapsed(), 1900);
    EXPECT_LT(t.elapsed(), 6000);
}

TEST(ClientLibrary, GivesUpAfterItsAttemptsWithTheLastError)
{
    FlakyServer server([](QTcpSocket *s, const QByteArray &, int) {
        s->write(FlakyServer::answer(503, R"({"error":"unavailable","detail":"still busy"})", "Retry-After: 0\r\n"));
    });
    ClientConfig config = configFor(server.port());
    config.maxAttempts = 3;
    ApiClient api(config);
    const auto r = finish(api.jobs({}));
    ASSERT_FALSE(r);
    EXPECT_EQ(server.requests(), 3);
    EXPECT_EQ(r.error().status, 503);
    EXPECT_EQ(r.error().detail, QStringLiteral("still busy"));
}

TEST(ClientLibrary, DroppedConnectionsAreRetriedForReadsButNotForCreates)
{
    cd::model::Job sample;
    sample.id = QStringLiteral("11111111-2222-3333-4444-555555555555");
    const QByteArray page = QJsonDocument(QJsonObject{{QStringLiteral("jobs"), QJsonArray{sample.toJson()}},
                                                      {QStringLiteral("next_before"), QJsonValue()}})
                                .toJson(QJsonDocument::Compact);
    FlakyServer server([&](QTcpSocket *s, const QByteArray &, int i) {
        if (i < 2)
            s->abort(); // read the request, then hang up without a word
        else
            s->write(FlakyServer::answer(200, page));
    });
    ApiClient api(configFor(server.port()));
    const auto list = finish(api.jobs({}));
    ASSERT_TRUE(list) << list.error().describe().toStdString();
    ASSERT_EQ(list->jobs.size(), 1);
    EXPECT_EQ(list->jobs.first().id, sample.id);
    EXPECT_EQ(server.requests(), 3);

    // A create that may have reached the server is not repeated by the client (it could start two
    // jobs). Qt itself sends a request once more when the connection closes before any answer byte,
    // so the server sees at most two.
    FlakyServer dropper([](QTcpSocket *s, const QByteArray &, int) { s->abort(); });
    ApiClient creator(configFor(dropper.port()));
    const auto created = finish(creator.createJob(externalJob()));
    ASSERT_FALSE(created);
    EXPECT_EQ(created.error().kind, Kind::Network);
    EXPECT_LE(dropper.requests(), 2);

    // Nor after a 503: the server may have failed at commit without knowing whether it stored the
    // job. A 429 is refused before anything is done, so that one is repeated.
    FlakyServer busy([](QTcpSocket *s, const QByteArray &, int i) {
        if (i == 0)
            s->write(FlakyServer::answer(503, R"({"error":"unavailable","detail":"busy"})", "Retry-After: 0\r\n"));
        else
            s->write(FlakyServer::answer(429, R"({"error":"too_many_requests"})", "Retry-After: 0\r\n", {}));
    });
    ApiClient busyCreator(configFor(busy.port()));
    const auto refused = finish(busyCreator.createJob(externalJob()));
    ASSERT_FALSE(refused);
    EXPECT_EQ(refused.error().status, 503);
    EXPECT_EQ(busy.requests(), 1);
}

TEST(ClientLibrary, AStoppedServerIsUnreachableAfterTheRetries)
{
    quint16 port = 0;
    {
        QTcpServer probe;
        ASSERT_TRUE(probe.listen(QHostAddress::LocalHost, 0));
        port = probe.serverPort();
    } // closed: nothing listens there now
    ClientConfig config = configFor(port);
    config.maxAttempts = 3;
    ApiClient api(config);
    const auto r = finish(api.jobs({}));
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, Kind::Network);
    EXPECT_TRUE(r.error().describe().startsWith(u"server unreachable")) << r.error().describe().toStdString();
}

TEST(ClientLibrary, ASilentServerTimesOut)
{
    FlakyServer server([](QTcpSocket *, const QByteArray &, int) {}); // reads, never answers
    ClientConfig config = configFor(server.port());
    config.timeoutMs = 300;
    config.maxAttempts = 2;
    ApiClient api(config);
    QElapsedTimer t;
    t.start();
    const auto r = finish(api.health());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, Kind::Timeout);
    EXPECT_EQ(server.requests(), 2);
    EXPECT_LT(t.elapsed(), 3000);
}

TEST(ClientLibrary, RefusesAServerOfAnotherApiVersion)
{
    FlakyServer newer([](QTcpSocket *s, const QByteArray &, int) {
        s->write(FlakyServer::answer(200, R"({"status":"ok","api_version":2})", {}, "2"));
    });
    ApiClient api(configFor(newer.port()));
    const auto r = finish(api.health());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, Kind::Incompatible);
    EXPECT_TRUE(r.error().detail.contains(u"speaks API version 2, this client speaks 1"))
        << r.error().detail.toStdString();

    FlakyServer unversioned([](QTcpSocket *s, const QByteArray &, int) {
        s->write(FlakyServer::answer(200, R"({"status":"ok"})", {}, {}));
    });
    ApiClient old(configFor(unversioned.port()));
    const auto o = finish(old.health());
    ASSERT_FALSE(o);
    EXPECT_EQ(o.error().kind, Kind::Incompatible);
    EXPECT_TRUE(o.error().detail.contains(u"does not report an API version")) << o.error().detail.toStdString();
}

TEST(ClientLibrary, DestroyingTheClientEndsItsCallsAsCancelled)
{
    FlakyServer server([](QTcpSocket *, const QByteArray &, int) {}); // never answers
    ClientConfig config = configFor(server.port());
    config.timeoutMs = 800;
    auto *api = new ApiClient(config);
    auto task = [](ApiClient *c) -> QCoro::Task<cd::client::ClientResult<cd::client::Health>> {
        co_return co_await c->health();
    }(api);
    ASSERT_TRUE(cdtest::waitUntil([&] { return server.requests() == 1; }));
    delete api; // its replies go with it; the waiting call must end, not touch them
    const auto r = finish(task);
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, Kind::Cancelled);
}

TEST(SseReader, ResumesWithLastEventIdAfterADisconnectWithoutLosingOrRepeating)
{
    QByteArrayList lastIds;
    FlakyServer server([&](QTcpSocket *s, const QByteArray &request, int i) {
        lastIds << FlakyServer::header(request, "last-event-id");
        const QByteArray head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCrawldeck-Api-Version: "
                                "1\r\nConnection: close\r\n\r\nretry: 3000\n: keepalive\n\n";
        if (i == 0) // two whole lines, then the start of a third, then the server goes away
            s->write(head + "id: 1\ndata: one\n\nid: 2\ndata: two\ndata: more\n\nid: 3\nda");
        else
            s->write(head + "id: 3\ndata: three\n\nevent: end\ndata: {\"status\":\"completed\"}\n\n");
        s->flush();
        s->disconnectFromHost();
    });
    ApiClient api(configFor(server.port()));
    cd::client::SseReader reader(&api, QStringLiteral("/api/crawler/logs/x"));
    reader.setEndEvent(QStringLiteral("end"));
    QList<cd::client::SseEvent> events;
    QList<cd::client::SseReader::State> states;
    QObject::connect(&reader, &cd::client::SseReader::event, &reader, [&](const auto &e) { events << e; });
    QObject::connect(&reader, &cd::client::SseReader::stateChanged, &reader, [&](auto s) { states << s; });
    reader.start();
    ASSERT_TRUE(cdtest::waitUntil([&] { return reader.state() == cd::client::SseReader::State::Finished; }));
    ASSERT_EQ(events.size(), 4);
    EXPECT_EQ(events[0].data, "one");
    EXPECT_EQ(events[1].data, "two\nmore");
    EXPECT_EQ(events[2].data, "three");
    EXPECT_EQ(events[2].id, QStringLiteral("3"));
    EXPECT_EQ(events[3].event, QStringLiteral("end"));
    // The resumed request names the last whole event. (Under load Qt itself may send a request once
    // more when a connection closes before any answer byte, so the count of requests can be higher;
    // what each one asks for cannot.)
    ASSERT_GE(lastIds.size(), 2);
    EXPECT_EQ(lastIds.first(), QByteArray());
    EXPECT_EQ(lastIds.last(), QByteArray("2"));
    for (const QByteArray &id : lastIds)
        EXPECT_TRUE(id.isEmpty() || id == "2") << id.constData();
    EXPECT_GE(reader.reconnects(), 1);
    EXPECT_TRUE(states.contains(cd::client::SseReader::State::Reconnecting));
}

TEST(SseReader, AnUnknownStreamFailsWithoutRetrying)
{
    FlakyServer server([](QTcpSocket *s, const QByteArray &, int) {
        s->write(FlakyServer::answer(404, R"({"error":"not_found","detail":"job x not found"})"));
    });
    ApiClient api(configFor(server.port()));
    cd::client::SseReader reader(&api, QStringLiteral("/api/crawler/logs/x"));
    std::optional<ClientError> error;
    QObject::connect(&reader, &cd::client::SseReader::failed, &reader, [&](const ClientError &e) { error = e; });
    reader.start();
    ASSERT_TRUE(cdtest::waitUntil([&] { return error.has_value(); }));
    EXPECT_EQ(error->status, 404);
    cdtest::spin(200);
    EXPECT_EQ(server.requests(), 1);
}

namespace {
// Serves one file at /api/jobs/j/artifacts/blob.bin, with or without Range support.
QByteArray serveBlob(const QByteArray &blob, const QByteArray &request, bool ranges)
{
    const QByteArray range = FlakyServer::header(request, "range");
    if (ranges && range.startsWith("bytes=") && range.endsWith('-')) {
        const qint64 from = range.mid(6, range.size() - 7).toLongLong();
        const QByteArray part = blob.mid(from);
        return "HTTP/1.1 206 Partial Content\r\nCrawldeck-Api-Version: 1\r\nContent-Range: bytes " +
               QByteArray::number(from) + '-' + QByteArray::number(blob.size() - 1) + '/' +
               QByteArray::number(blob.size()) + "\r\nContent-Length: " + QByteArray::number(part.size()) + "\r\n\r\n" +
               part;
    }
    return "HTTP/1.1 200 OK\r\nCrawldeck-Api-Version: 1\r\nContent-Length: " + QByteArray::number(blob.size()) +
           "\r\n\r\n" + blob;
}

cd::model::Artifact blobArtifact(const QByteArray &blob)
{
    cd::model::Artifact a;
    a.jobId = QStringLiteral("j");
    a.name = QStringLiteral("blob.bin");
    a.size = blob.size();
    a.sha256 = QString::fromLatin1(QCryptographicHash::hash(blob, QCryptographicHash::Sha256).toHex());
    return a;
}

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}
} // namespace

TEST(ArtifactDownload, ResumesAPartFileWithRangeOrStartsOverOnA200)
{
    QByteArray blob;
    for (int i = 0; i < 300000; ++i)
        blob += static_cast<char>((qint64(i) * 7919) % 251);
    QTemporaryDir dir;
    for (const bool ranges : {true, false}) {
        FlakyServer server(
            [&](QTcpSocket *s, const QByteArray &request, int) { s->write(serveBlob(blob, request, ranges)); });
        ApiClient api(configFor(server.port()));
        const QString path =
            dir.filePath(ranges ? QStringLiteral("ranged/blob.bin") : QStringLiteral("plain/blob.bin"));
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile part(cd::client::ArtifactDownload::partPath(path));
        ASSERT_TRUE(part.open(QIODevice::WriteOnly));
        part.write(blob.left(100000));
        part.close();

        cd::client::ArtifactDownload download(&api, blobArtifact(blob), path);
        qint64 lastProgress = 0;
        QObject::connect(&download, &cd::client::ArtifactDownload::progress, &download, [&](qint64 got, qint64 total) {
            EXPECT_EQ(total, blob.size());
            lastProgress = got;
        });
        const auto r = finish(download.run());
        ASSERT_TRUE(r) << r.error().describe().toStdString();
        EXPECT_EQ(readAll(path), blob);
        EXPECT_FALSE(QFile::exists(part.fileName()));
        EXPECT_EQ(lastProgress, blob.size());
        EXPECT_EQ(FlakyServer::header(server.received().first(), "range"), QByteArray("bytes=100000-"));
        EXPECT_EQ(download.resumedFrom(), ranges ? 100000 : 0);
        EXPECT_EQ(*r, ranges ? blob.size() - 100000 : blob.size());
    }
}

TEST(ArtifactDownload, AFileThatDoesNotMatchItsSha256IsRefusedAndRemoved)
{
    const QByteArray blob(5000, 'x');
    FlakyServer server([&](QTcpSocket *s, const QByteArray &request, int) {
        s->write(serveBlob(QByteArray(5000, 'y'), request, true));
    });
    ApiClient api(configFor(server.port()));
    QTemporaryDir dir;
    const QString path = dir.filePath(QStringLiteral("blob.bin"));
    cd::client::ArtifactDownload download(&api, blobArtifact(blob), path);
    const auto r = finish(download.run());
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().kind, Kind::Integrity);
    EXPECT_FALSE(QFile::exists(path));
    EXPECT_FALSE(QFile::exists(cd::client::ArtifactDownload::partPath(path)));
}

TEST(JobWatcher, SettlesWhenTheJobEndsOnTheRealServer)
{
    cdtest::Stack stack;
    ApiClient api(configFor(stack.port()));
    const auto created = finish(api.createJob(externalJob()));
    ASSERT_TRUE(created);
    cd::client::JobWatcher watcher(&api, created->job.id);
    bool connected = false;
    QObject::connect(&watcher, &cd::client::JobWatcher::connectionChanged, &watcher, [&](bool on) { connected |= on; });
    watcher.start();
    ASSERT_TRUE(cdtest::waitUntil([&] { return connected; }));
    postLines(stack.port(), created->job.id, {QStringLiteral("[SUMMARY] {\"status\": \"failed\"}")});
    const auto job = finish(watcher.untilSettled());
    ASSERT_TRUE(job) << job.error().describe().toStdString();
    EXPECT_EQ(job->status, cd::model::JobStatus::Failed);
}

TEST(JobFromJson, ReadsBackWhatToJsonWrites)
{
    cd::model::Job j;
    j.id = QStringLiteral("abc");
    j.backend = cd::model::Backend::RunPod;
    j.status = cd::model::JobStatus::Completed;
    j.params = QJsonObject{{QStringLiteral("keywords"), QJsonArray{QStringLiteral("k")}}};
    j.summary = QJsonObject{{QStringLiteral("partial"), true}};
    j.attempt = 2;
    j.maxAttempts = 3;
    j.exitCode = 0;
    j.remoteId = QStringLiteral("r");
    j.createdAt = QDateTime::fromString(QStringLiteral("2026-11-22T07:23:39.915Z"), Qt::ISODateWithMs);
    j.finishedAt = j.createdAt.addSecs(5);
    j.logCount = 18;
    const auto back = cd::model::Job::fromJson(j.toJson());
    ASSERT_TRUE(back);
    EXPECT_EQ(back->toJson(), j.toJson());
    EXPECT_EQ(back->outcome(), QStringLiteral("partial"));

    EXPECT_FALSE(cd::model::Job::fromJson(QJsonObject{{QStringLiteral("id"), QStringLiteral("x")},
                                                      {QStringLiteral("status"), QStringLiteral("bogus")},
                                                      {QStringLiteral("backend"), QStringLiteral("local")}}));
    EXPECT_FALSE(cd::model::Job::fromJson(QJsonObject{}));
}
