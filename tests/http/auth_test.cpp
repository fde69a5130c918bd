// Authentication against hostile clients, over real sockets: every route with every kind of bad
// credential gets the exact status and challenge, the server stays up, and nothing changes.
#include "authcheck.h"
#include "common/privatefiles.h"
#include "settings/settings.h"
#include "stack.h"
#include "testutil.h"

#include <QDir>
#include <QFileInfo>
#include <QJsonArray>
#include <QLoggingCategory>
#include <QMessageAuthenticationCode>
#include <QSqlDatabase>
#include <QSqlQuery>
#include <QUuid>

#include <gtest/gtest.h>

#include <sys/stat.h>

using namespace cd;
using namespace cdtest;
using model::JobStatus;

namespace {

const QByteArray kToken = Stack::kToken;

QMap<QString, QString> profiles()
{
    return {{QStringLiteral("crawler"), QStringLiteral("sleep 30")}};
}

// Everything a refused request could have changed, read through a second connection: the jobs,
// their statuses and their stored lines, plus lines still waiting for a commit.
QString fingerprint(Stack &st)
{
    const QString name = QUuid::createUuid().toString();
    QString out;
    {
        QSqlDatabase other = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), name);
        other.setDatabaseName(st.dbPath());
        other.open();
        QSqlQuery q(other);
        q.exec(QStringLiteral("SELECT id, status, (SELECT COUNT(*) FROM job_logs l WHERE l.job_id = j.id) FROM jobs j "
                              "ORDER BY id"));
        while (q.next())
            out += q.value(0).toString() + u' ' + q.value(1).toString() + u' ' + q.value(2).toString() + u'\n';
    }
    QSqlDatabase::removeDatabase(name);
    return out + QStringLiteral("pending %1").arg(st.logs->pendingCount());
}

enum class Kind { Control, Read, Log, Webhook };

struct Route
{
    QByteArray method;
    QByteArray path; // %A = job A's id
    Kind kind;
};

struct Expect
{
    int status;
    QByteArray challenge; // empty: no WWW-Authenticate header
};

struct Variant
{
    const char *name;
    // Adds the credential to the request; `a`/`b` are the two jobs' ids.
    std::function<void(Stack &, const QString &a, const QString &b, QByteArray *path, HeaderList *headers)> apply;
    std::function<std::optional<Expect>(Kind)> expect;
};

void add(HeaderList *h, const QByteArray &name, const QByteArray &value)
{
    h->append(QPair<QByteArray, QByteArray>(name, value));
}

void addQuery(QByteArray *path, const QByteArray &item)
{
    *path += (path->contains('?') ? "&" : "?") + item;
}

// A job token goes where each route's clients send it: the webhook's URL, a header elsewhere.
void addJobToken(Kind kind, const QByteArray &token, QByteArray *path, HeaderList *h)
{
    if (kind == Kind::Webhook)
        addQuery(path, "token=" + token);
    else
        add(h, "X-Callback-Token", token);
}

QList<Route> routes()
{
    return {
        {"POST", "/api/crawler/start", Kind::Control},
        {"POST", "/api/crawler/cancel/%A", Kind::Control},
        {"POST", "/api/jobs", Kind::Control},
        {"POST", "/api/jobs/%A/cancel", Kind::Control},
        {"POST", "/api/jobs/%A/retry", Kind::Control},
        {"GET", "/api/crawler/logs/%A", Kind::Read},
        {"GET", "/api/crawler/status/%A", Kind::Read},
        {"GET", "/api/jobs", Kind::Read},
        {"GET", "/api/jobs/%A", Kind::Read},
        {"GET", "/api/jobs/%A/logs", Kind::Read},
        {"GET", "/api/jobs/%A/logs.txt", Kind::Read},
        {"GET", "/api/jobs/%A/artifacts", Kind::Read},
        {"GET", "/api/jobs/%A/artifacts/x.txt", Kind::Read},
        {"GET", "/api/events", Kind::Read},
        {"GET", "/metrics", Kind::Read},
        {"POST", "/api/crawler/log", Kind::Log},
        {"POST", "/api/runpod/webhook/%A", Kind::Webhook},
    };
}

QList<Variant> variants()
{
    const auto always = [](Expect e) { return [e](Kind) { return std::optional<Expect>(e); }; };
    // A valid credential that lacks the right: 403 on control and read routes; on callback routes it
    // is the right credential, so it is not a hostile case there.
    const auto lacksRight = [](Kind k) {
        return k == Kind::Control || k == Kind::Read ? std::optional<Expect>(Expect{403, kScope}) : std::nullopt;
    };
    return {
        {"no credential", [](Stack &, const QString &, const QString &, QByteArray *, HeaderList *) {},
         always({401, kChallenge})},
        {"wrong bearer",
         [](Stack &, const QString &, const QString &, QByteArray *, HeaderList *h) {
             add(h, "Authorization", "Bearer not-the-token");
         },
         always({401, kInvalid})},
        {"forged job token",
         [](Stack &, const QString &a, const QString &, QByteArray *path, HeaderList *h) {
             const Kind k = path->contains("/webhook/") ? Kind::Webhook : Kind::Log;
             addJobToken(k, a.toUtf8() + ".AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", path, h);
         },
         always({401, kInvalid})},
        {"job token of another job",
         [](Stack &st, const QString &, const QString &b, QByteArray *path, HeaderList *h) {
             const Kind k = path->contains("/webhook/") ? Kind::Webhook : Kind::Log;
             addJobToken(k, st.auth->jobToken(b).toUtf8(), path, h);
         },
         always({403, kScope})},
        {"own job token on a control or read route",
         [](Stack &st, const QString &a, const QString &, QByteArray *, HeaderList *h) {
             add(h, "X-Callback-Token", st.auth->jobToken(a).toUtf8());
         },
         lacksRight},
        {"callback key on a control or read route",
         [](Stack &, const QString &, const QString &, QByteArray *, HeaderList *h) {
             add(h, "X-API-Key", Stack::kCallbackKey);
         },
         lacksRight},
        {"wrong X-API-Key",
         [](Stack &, const QString &, const QString &, QByteArray *, HeaderList *h) {
             add(h, "X-API-Key", "not-the-key");
         },
         always({401, kInvalid})},
        {"wrong ?access_token=",
         [](Stack &, const QString &, const QString &, QByteArray *path, HeaderList *) {
             addQuery(path, "access_token=not-the-token");
         },
         always({401, kInvalid})},
        {"lowercase bearer with a wrong token",
         [](Stack &, const QString &, const QString &, QByteArray *, HeaderList *h) {
             add(h, "Authorization", "bearer not-the-token");
         },
         always({401, kInvalid})},
        {"Bearer with no value",
         [](Stack &, const QString &, const QString &, QByteArray *, HeaderList *h) {
             add(h, "Authorization", "Bearer");
         },
         always({401, kInvalid})},
        {"Basic scheme",
         [](Stack &, const QString &, const QString &, QByteArray *, HeaderList *h) {
             add(h, "Authorization", "Basic " + QByteArray("admin:" + kToken).toBase64());
         },
         always({401, kChallenge})},
        {"the right API token with a wrong X-API-Key",
         [](Stack &, const QString &, const QString &, QByteArray *, HeaderList *h) {
             add(h, "Authorization", "Bearer " + kToken);
             add(h, "X-API-Key", "not-the-key");
         },
         always({401, kInvalid})},
        {"two Authorization headers",
         [](Stack &, const QString &, const QString &, QByteArray *, HeaderList *h) {
             add(h, "Authorization", "Bearer " + kToken);
             add(h, "Authorization", "Bearer not-the-token");
         },
         always({400, {}})},
        {"Authorization header and ?access_token=",
         [](Stack &, const QString &, const QString &, QByteArray *path, HeaderList *h) {
             add(h, "Authorization", "Bearer " + kToken);
             addQuery(path, "access_token=" + kToken);
         },
         always({400, {}})},
    };
}

QByteArray bodyFor(const Route &r, const QString &a)
{
    switch (r.kind) {
    case Kind::Log: return "{\"job_id\":\"" + a.toUtf8() + "\",\"message\":\"[ERROR] hostile line\"}";
    case Kind::Webhook: return R"({"status":"COMPLETED","output":{"plain":"hostile"}})";
    case Kind::Control:
        return r.path.endsWith("start") ? R"({"keywords":["x"],"domain_count":1})" : R"({"profile":"crawler"})";
    case Kind::Read: break;
    }
    return {};
}

// One connection from a chosen loopback address (127.0.0.0/8 is all loopback): another client as
// far as the server can tell.
cdtest::HttpResponse requestFrom(const QHostAddress &from, quint16 port, const QByteArray &path,
                                 const QByteArray &token)
{
    QTcpSocket s;
    if (!s.bind(from))
        return {};
    s.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!cdtest::waitUntil([&] { return s.state() == QAbstractSocket::ConnectedState; }, 3000))
        return {};
    s.write("GET " + path + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\nAuthorization: Bearer " + token + "\r\n\r\n");
    QByteArray buf;
    cdtest::waitUntil(
        [&] {
            buf += s.readAll();
            return s.state() == QAbstractSocket::UnconnectedState;
        },
        5000);
    buf += s.readAll();
    cdtest::HttpResponse r;
    r.status = buf.mid(9, 3).toInt();
    return r;
}

mode_t modeOf(const QString &path)
{
    struct stat sb = {};
    if (::stat(QFile::encodeName(path).constData(), &sb) != 0)
        return 0;
    return sb.st_mode & 07777;
}

// Sets the process umask for a scope: files must be private whatever it is.
class Umask
{
public:
    explicit Umask(mode_t m) : m_old(::umask(m)) {}
    ~Umask() { ::umask(m_old); }

private:
    mode_t m_old;
};

} // namespace

TEST(Auth, HostileCredentialsOnEveryRouteAreRefusedExactlyAndChangeNothing)
{
    http::AuthLimits off;
    off.maxFailures = 0; // this test sends hundreds of wrong credentials from one address on purpose
    Stack st(StackOptions().withProfiles(profiles()).limits(off));
    const QString a = startJob(st);
    const QString b = startJob(st);
    ASSERT_TRUE(cdtest::waitUntil([&] {
        return st.jobs->job(a)->status == JobStatus::Running && st.jobs->job(b)->status == JobStatus::Running;
    }));
    // Settle: lines from starting the jobs are committed before the first snapshot.
    st.logs->flush();
    cdtest::spin(100);

    int cases = 0;
    for (const Route &route : routes()) {
        for (const Variant &v : variants()) {
            const auto expect = v.expect(route.kind);
            if (!expect)
                continue;
            ++cases;
            QByteArray path = route.path;
            path.replace("%A", a.toUtf8());
            HeaderList headers;
            const QByteArray body = bodyFor(route, a);
            if (!body.isEmpty())
                add(&headers, "Content-Type", "application/json");
            v.apply(st, a, b, &path, &headers);
            const QString before = fingerprint(st);
            const auto r = cdtest::request(st.port(), route.method, path, body, headers);
            const std::string what = route.method.toStdString() + ' ' + route.path.toStdString() + " with " + v.name;
            EXPECT_EQ(r.status, expect->status) << what << ": " << r.body.toStdString();
            EXPECT_EQ(r.headers.value("www-authenticate"), expect->challenge) << what;
            if (expect->status == 400) {
                EXPECT_EQ(r.headers.value("connection"), "close") << what;
            }
            EXPECT_FALSE(r.json().value(QStringLiteral("detail")).toString().isEmpty()) << what;
            EXPECT_FALSE(r.body.contains(kToken)) << what << ": the answer repeats the token";
            cdtest::spin(30); // a wrongly accepted line would reach its commit by now
            EXPECT_EQ(fingerprint(st), before) << what << ": a refused request changed something";
            EXPECT_EQ(cdtest::getJson(st.port(), "/health").status, 200) << what << ": server down";
        }
    }
    EXPECT_EQ(cases, 234);
    EXPECT_EQ(st.jobs->job(a)->status, JobStatus::Running);
    EXPECT_EQ(st.jobs->job(b)->status, JobStatus::Running);
}

TEST(Auth, ValidCredentialsStillWork)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const QString a = startJob(st);
    // The scheme is case-insensitive (RFC 9110 §11.1).
    EXPECT_EQ(cdtest::request(st.port(), "GET", "/api/jobs", {}, {{"Authorization", "bearer " + kToken}}).status, 200);
    EXPECT_EQ(cdtest::request(st.port(), "GET", "/api/jobs?access_token=" + kToken).status, 200);
    EXPECT_EQ(cdtest::getJson(st.port(), "/health").status, 200);
    const QJsonObject line{{QStringLiteral("job_id"), a}, {QStringLiteral("message"), QStringLiteral("[INFO] ok")}};
    EXPECT_EQ(
        cdtest::postJson(st.port(), "/api/crawler/log", line, {}, {{"X-Callback-Token", st.auth->jobToken(a).toUtf8()}})
            .status,
        200);
    EXPECT_EQ(cdtest::request(st.port(), "POST", "/api/crawler/log?token=" + st.auth->jobToken(a).toUtf8(),
                              QJsonDocument(line).toJson(), {{"Content-Type", "application/json"}})
                  .status,
              200);
    EXPECT_EQ(cdtest::postJson(st.port(), "/api/crawler/log", line, {}, {{"X-API-Key", Stack::kCallbackKey}}).status,
              200);
    EXPECT_EQ(cdtest::postJson(st.port(), "/api/crawler/log", line, kToken).status, 200);
    // The same token in the header and the URL is not ambiguous.
    const QByteArray tok = st.auth->jobToken(a).toUtf8();
    EXPECT_EQ(cdtest::request(st.port(), "POST", "/api/crawler/log?token=" + tok, QJsonDocument(line).toJson(),
                              {{"Content-Type", "application/json"}, {"X-Callback-Token", tok}})
                  .status,
              200);
    // Different ones are.
    EXPECT_EQ(cdtest::request(st.port(), "POST", "/api/crawler/log?token=" + tok, QJsonDocument(line).toJson(),
                              {{"Content-Type", "application/json"}, {"X-Callback-Token", tok + "x"}})
                  .status,
              400);
    // Tokens handed out before tokens named their job (held by jobs running across an upgrade) still
    // work for their own job; for another they cannot be told from forged ones.
    const QByteArray legacy =
        QMessageAuthenticationCode::hash(a.toUtf8(), QByteArrayLiteral("test-secret"), QCryptographicHash::Sha256)
            .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals);
    EXPECT_EQ(cdtest::request(st.port(), "POST", "/api/crawler/log?token=" + legacy, QJsonDocument(line).toJson(),
                              {{"Content-Type", "application/json"}})
                  .status,
              200);
    const QString b = startJob(st);
    const QJsonObject forB{{QStringLiteral("job_id"), b}, {QStringLiteral("message"), QStringLiteral("[INFO] ok")}};
    EXPECT_EQ(cdtest::request(st.port(), "POST", "/api/crawler/log?token=" + legacy, QJsonDocument(forB).toJson(),
                              {{"Content-Type", "application/json"}})
                  .status,
              401);
    st.logs->flush();
    EXPECT_EQ(st.logs->lines(store::LogQuery{a, 0, 100, {}, QStringLiteral("[INFO] ok")}).size(), 6);
    EXPECT_EQ(st.logs->lines(store::LogQuery{b, 0, 100, {}, QStringLiteral("[INFO] ok")}).size(), 0);
}

TEST(Auth, UnknownJobIsRefusedBeforeItIsRevealed)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const QString a = startJob(st);
    const QJsonObject lost{{QStringLiteral("job_id"), QStringLiteral("no-such-job")},
                           {QStringLiteral("message"), QStringLiteral("x")}};
    const auto none = cdtest::postJson(st.port(), "/api/crawler/log", lost);
    EXPECT_EQ(none.status, 401);
    EXPECT_FALSE(none.body.contains("not found"));
    EXPECT_EQ(cdtest::postJson(st.port(), "/api/crawler/log", lost, {}, {{"X-API-Key", "wrong"}}).status, 401);
    // Even malformed bodies are not looked at without a credential.
    EXPECT_EQ(
        cdtest::request(st.port(), "POST", "/api/crawler/log", "{nope", {{"Content-Type", "application/json"}}).status,
        401);
    // A valid token of another job: 403, still not telling whether the job exists.
    EXPECT_EQ(
        cdtest::postJson(st.port(), "/api/crawler/log", lost, {}, {{"X-Callback-Token", st.auth->jobToken(a).toUtf8()}})
            .status,
        403);
    // Seed behaviour: with a valid global credential, an unknown job is a 404 that says so.
    for (const HeaderList &creds :
         {HeaderList{{"X-API-Key", Stack::kCallbackKey}}, HeaderList{{"Authorization", "Bearer " + kToken}}}) {
        const auto known = cdtest::postJson(st.port(), "/api/crawler/log", lost, {}, creds);
        EXPECT_EQ(known.status, 404);
        EXPECT_TRUE(known.json().value(QStringLiteral("detail")).toString().contains(QStringLiteral("no-such-job")));
    }
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/jobs/no-such-job").status, 401);
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/jobs/no-such-job", kToken).status, 404);
}

TEST(Auth, WebhookWithoutTokenIs401BeforeAnythingElse)
{
    Stack st(StackOptions().withProfiles(profiles()));
    const QString a = startJob(st); // a local job: a webhook for it is a 409 once authenticated
    const QByteArray path = "/api/runpod/webhook/" + a.toUtf8();
    const QByteArray body = R"({"status":"COMPLETED"})";
    const HeaderList json{{"Content-Type", "application/json"}};
    const auto none = cdtest::request(st.port(), "POST", path, body, json);
    EXPECT_EQ(none.status, 401);
    EXPECT_EQ(none.headers.value("www-authenticate"), kChallenge);
    EXPECT_FALSE(none.body.contains("RunPod"));
    EXPECT_EQ(cdtest::request(st.port(), "POST", "/api/runpod/webhook/unknown", body, json).status, 401);
    EXPECT_EQ(cdtest::request(st.port(), "POST", path + "?token=" + st.auth->jobToken(a).toUtf8(), body, json).status,
              409);
    // Loopback trust never covers the webhook: it settles jobs.
    Stack trusting(StackOptions().withProfiles(profiles()).trustLoopback());
    const QString t = startJob(trusting);
    EXPECT_EQ(cdtest::request(trusting.port(), "POST", "/api/runpod/webhook/" + t.toUtf8(), body, json).status, 401);
    EXPECT_EQ(st.jobs->job(a)->status, JobStatus::Running);
}

TEST(Auth, TrustingLoopbackIsAnExplicitOptIn)
{
    Stack strict(StackOptions().withProfiles(profiles()));
    const QString s = startJob(strict);
    EXPECT_EQ(cdtest::getJson(strict.port(), "/api/crawler/status/" + s.toUtf8()).status, 401);
    EXPECT_EQ(
        cdtest::postJson(strict.port(), "/api/crawler/log",
                         QJsonObject{{QStringLiteral("job_id"), s}, {QStringLiteral("message"), QStringLiteral("x")}})
            .status,
        401);

    Stack st(StackOptions().withProfiles(profiles()).trustLoopback());
    const QString id = startJob(st);
    EXPECT_EQ(
        cdtest::postJson(st.port(), "/api/crawler/log",
                         QJsonObject{{QStringLiteral("job_id"), id}, {QStringLiteral("message"), QStringLiteral("x")}})
            .status,
        200);
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/crawler/status/" + id.toUtf8()).status, 200);
    // Creating and cancelling work still needs the token; a wrong token is wrong even from loopback.
    EXPECT_EQ(cdtest::postJson(st.port(), "/api/crawler/start",
                               QJsonObject{{QStringLiteral("keywords"), QJsonArray{QStringLiteral("x")}}})
                  .status,
              401);
    EXPECT_EQ(cdtest::postJson(st.port(), "/api/crawler/cancel/" + id.toUtf8(), {}).status, 401);
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/crawler/status/" + id.toUtf8(), "nope").status, 401);
    EXPECT_EQ(st.jobs->job(id)->status, JobStatus::Running);
}

TEST(Auth, RepeatedFailuresCoolDownWith429ThenTheTokenWorksAgain)
{
    http::AuthLimits l;
    l.maxFailures = 5;
    l.windowMs = 10000;
    l.coolingMs = 1500;
    Stack st(StackOptions().withProfiles(profiles()).limits(l));
    // Successful requests are not counted and not slowed.
    for (int i = 0; i < 30; ++i)
        ASSERT_EQ(cdtest::getJson(st.port(), "/api/jobs", kToken).status, 200);
    // Missing credentials guess nothing and are not counted either.
    for (int i = 0; i < 10; ++i)
        ASSERT_EQ(cdtest::getJson(st.port(), "/api/jobs").status, 401);
    for (int i = 0; i < 5; ++i)
        ASSERT_EQ(cdtest::getJson(st.port(), "/api/jobs", "guess-" + QByteArray::number(i)).status, 401);
    // Cooling: every credential is refused unlooked-at, the right one too.
    const auto cooled = cdtest::getJson(st.port(), "/api/jobs", kToken);
    EXPECT_EQ(cooled.status, 429);
    // 1.5 s of cooling left, rounded up; 1 only if this machine stalled between the two requests.
    EXPECT_TRUE(cooled.headers.value("retry-after") == "2" || cooled.headers.value("retry-after") == "1")
        << cooled.headers.value("retry-after").toStdString();
    EXPECT_EQ(cooled.json().value(QStringLiteral("error")).toString(), QStringLiteral("too_many_requests"));
    EXPECT_EQ(cdtest::postJson(st.port(), "/api/crawler/log",
                               QJsonObject{{QStringLiteral("job_id"), QStringLiteral("x")},
                                           {QStringLiteral("message"), QStringLiteral("x")}},
                               {}, {{"X-API-Key", Stack::kCallbackKey}})
                  .status,
              429);
    EXPECT_EQ(cdtest::getJson(st.port(), "/health").status, 200); // open routes stay open
    // Another address is not affected.
    EXPECT_EQ(requestFrom(QHostAddress(QStringLiteral("127.0.0.2")), st.port(), "/api/jobs", kToken).status, 200);
    // After Retry-After, the token works again.
    cdtest::spin(cooled.headers.value("retry-after").toInt() * 1000);
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/jobs", kToken).status, 200);
}

TEST(Auth, FailureTableStaysBoundedWhenAddressesRotate)
{
    http::AuthLimits l;
    l.maxFailures = 3;
    l.maxTracked = 20;
    l.coolingMs = 60000;
    Stack st(StackOptions().withProfiles(profiles()).limits(l));
    // One address cools down...
    for (int i = 0; i < 3; ++i)
        requestFrom(QHostAddress(QStringLiteral("127.0.9.9")), st.port(), "/api/jobs", "wrong");
    EXPECT_EQ(requestFrom(QHostAddress(QStringLiteral("127.0.9.9")), st.port(), "/api/jobs", kToken).status, 429);
    // ...then 100 others fail once each, over real connections from their own addresses.
    for (int i = 1; i <= 100; ++i) {
        const QHostAddress from(QStringLiteral("127.0.1.%1").arg(i));
        ASSERT_EQ(requestFrom(from, st.port(), "/api/jobs", "wrong").status, 401);
    }
    EXPECT_LE(st.auth->limiter().trackedCount(), 20);
    // The cooling address is the last to be forgotten.
    EXPECT_EQ(requestFrom(QHostAddress(QStringLiteral("127.0.9.9")), st.port(), "/api/jobs", kToken).status, 429);

    // Directly, at scale: 100k rotating addresses (IPv6 ones counted per /64) never grow the table.
    http::AuthLimiter limiter(l);
    for (quint32 i = 0; i < 100000; ++i)
        limiter.recordFailure(QHostAddress(0x0a000000u + i));
    EXPECT_LE(limiter.trackedCount(), 20);
    for (int i = 0; i < 3; ++i)
        limiter.recordFailure(QHostAddress(QStringLiteral("2001:db8::%1").arg(i + 1)));
    EXPECT_GT(limiter.coolingLeftMs(QHostAddress(QStringLiteral("2001:db8::ffff"))), 0);
}

TEST(Auth, NoCredentialReachesTheLog)
{
    static QStringList captured;
    captured.clear();
    QLoggingCategory::setFilterRules(QStringLiteral("crawldeck.*=true"));
    const auto previous =
        qInstallMessageHandler([](QtMsgType, const QMessageLogContext &, const QString &msg) { captured << msg; });
    {
        http::AuthLimits l;
        l.maxFailures = 2; // the cooling warning is logged too
        Stack st(StackOptions().withProfiles(profiles()).limits(l));
        const QString a = startJob(st);
        const QByteArray secretGuess = "guess-that-must-not-be-logged";
        cdtest::getJson(st.port(), "/api/jobs?access_token=" + secretGuess);
        cdtest::getJson(st.port(), "/api/jobs", secretGuess);
        cdtest::request(st.port(), "GET", "/api/jobs?access_token=" + kToken);
        cdtest::postJson(st.port(), "/api/crawler/log",
                         QJsonObject{{QStringLiteral("job_id"), a}, {QStringLiteral("message"), QStringLiteral("x")}},
                         {}, {{"X-Callback-Token", st.auth->jobToken(a).toUtf8() + "x"}});
        cdtest::spin(100);
        for (const auto &line : st.logs->lines(store::LogQuery{a, 0, 1000, {}, {}}))
            EXPECT_FALSE(line.message.contains(QString::fromLatin1(kToken))) << line.message.toStdString();
    }
    qInstallMessageHandler(previous);
    QLoggingCategory::setFilterRules(QString());
    EXPECT_TRUE(captured.join(u'\n').contains(QStringLiteral("refused"))) << "the refusals are logged at all";
    for (const QString &m : captured) {
        EXPECT_FALSE(m.contains(QStringLiteral("guess-that-must-not-be-logged"))) << m.toStdString();
        EXPECT_FALSE(m.contains(QString::fromLatin1(kToken))) << m.toStdString();
    }
}

TEST(Auth, DataFilesArePrivateWhateverTheUmask)
{
    Umask anyUmask(0);
    QTemporaryDir tmp;
    const QString dataDir = tmp.filePath(QStringLiteral("data"));
    {
        // The data directory itself and the settings file holding the token.
        settings::Settings s(dataDir, {}, QProcessEnvironment());
        s.apiToken();
        EXPECT_EQ(modeOf(dataDir), 0700u);
        EXPECT_EQ(modeOf(s.settingsFile()), 0600u);
    }
    Stack st(StackOptions().withProfiles(profiles()).in(dataDir));
    const QString a = startJob(st);
    ASSERT_TRUE(cdtest::waitUntil([&] { return st.jobs->job(a)->status == JobStatus::Running; }));
    st.logs->flush();
    for (const QString &f :
         QStringList{st.dbPath(), st.dbPath() + QStringLiteral("-wal"), st.dbPath() + QStringLiteral("-shm")}) {
        ASSERT_TRUE(QFileInfo::exists(f)) << f.toStdString();
        EXPECT_EQ(modeOf(f), 0600u) << f.toStdString();
    }
    for (const QString &d :
         QStringList{dataDir + QStringLiteral("/jobs"), st.artifacts->jobDir(a), st.artifacts->outputDir(a)})
        EXPECT_EQ(modeOf(d), 0700u) << d.toStdString();
    // A file created private is 0600 whatever the umask.
    const QString f = tmp.filePath(QStringLiteral("x"));
    ASSERT_TRUE(createPrivateFile(f));
    EXPECT_EQ(modeOf(f), 0600u);
}
