// The log routes a virtualised log view uses besides the lines: the index (last seq and the seqs at
// some levels) and search for the next or previous match.
#include "logfixture.h"
#include "stack.h"
#include "store/database.h"
#include "testutil.h"

#include <QJsonArray>
#include <QSqlQuery>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::Stack;
using cdtest::StackOptions;

namespace {

const QByteArray kToken = Stack::kToken;

QList<qint64> seqs(const QJsonObject &o)
{
    QList<qint64> out;
    for (const auto &v : o.value(QStringLiteral("seqs")).toArray())
        out << v.toInteger();
    return out;
}

QByteArray path(const QString &id, const char *rest)
{
    return "/api/jobs/" + id.toUtf8() + rest;
}

} // namespace

TEST(LogRoutes, IndexGivesTheLastSeqAndTheSeqsAtLevels)
{
    Stack st;
    const QString id = cdtest::jobWithLog(st, 100);
    auto r = cdtest::getJson(st.port(), path(id, "/logs/index"), kToken);
    ASSERT_EQ(r.status, 200) << r.body.toStdString();
    EXPECT_EQ(r.json().value(QStringLiteral("last_seq")).toInteger(), 100);
    EXPECT_EQ(r.json().value(QStringLiteral("job_id")).toString(), id);
    EXPECT_TRUE(seqs(r.json()).isEmpty());

    r = cdtest::getJson(st.port(), path(id, "/logs/index?level=ERROR"), kToken);
    ASSERT_EQ(r.status, 200);
    QList<qint64> errors;
    for (qint64 s = 10; s <= 100; s += 10)
        errors << s;
    EXPECT_EQ(seqs(r.json()), errors);

    r = cdtest::getJson(st.port(), path(id, "/logs/index?level=WARNING,ERROR"), kToken);
    ASSERT_EQ(r.status, 200);
    EXPECT_EQ(seqs(r.json()), (QList<qint64>{10, 20, 25, 30, 40, 50, 60, 70, 75, 80, 90, 100}));

    // Lines committed later are in the next answer.
    st.bus->append(id, model::LogSource::Stdout, {QStringLiteral("[ERROR] one more")});
    ASSERT_TRUE(st.logs->flush());
    r = cdtest::getJson(st.port(), path(id, "/logs/index?level=ERROR"), kToken);
    EXPECT_EQ(r.json().value(QStringLiteral("last_seq")).toInteger(), 101);
    EXPECT_EQ(seqs(r.json()).last(), 101);
}

TEST(LogRoutes, FindGoesForwardAndBackwardAtLevels)
{
    Stack st;
    const QString id = cdtest::jobWithLog(st, 100);
    auto seqOf = [&](const char *query) {
        const auto r = cdtest::getJson(st.port(), path(id, query), kToken);
        EXPECT_EQ(r.status, 200) << query << ": " << r.body.toStdString();
        return r.json().value(QStringLiteral("seq")).toInteger(-1);
    };
    EXPECT_EQ(seqOf("/logs/find?from=0&dir=next&q=broken%20PIPE"), 10);
    EXPECT_EQ(seqOf("/logs/find?from=10&dir=next&q=broken"), 20);
    EXPECT_EQ(seqOf("/logs/find?from=55&dir=prev&q=broken"), 50);
    EXPECT_EQ(seqOf("/logs/find?from=100&dir=next&q=broken"), 0);
    EXPECT_EQ(seqOf("/logs/find?from=10&dir=prev&q=broken"), 0);
    // Only lines at the levels asked for (the 50th is an ERROR, not a WARNING).
    EXPECT_EQ(seqOf("/logs/find?from=0&dir=next&q=page%205&level=INFO"), 5);
    EXPECT_EQ(seqOf("/logs/find?from=0&dir=next&q=page&level=WARNING"), 25);
    EXPECT_EQ(seqOf("/logs/find?from=75&dir=prev&q=page&level=WARNING"), 25);
    // % and _ are text, not patterns.
    EXPECT_EQ(seqOf("/logs/find?from=0&dir=next&q=%25"), 0);
}

TEST(LogRoutes, RefuseWhatIsAmbiguousAndSayWhy)
{
    Stack st;
    const QString id = cdtest::jobWithLog(st, 5);
    struct Case
    {
        const char *rest;
        int status;
        const char *says;
    };
    const Case cases[] = {
        {"/logs/find?dir=next&q=x", 400, "'from' is required"},
        {"/logs/find?from=-1&dir=next&q=x", 400, "'from'"},
        {"/logs/find?from=0&q=x", 400, "'dir'"},
        {"/logs/find?from=0&dir=up&q=x", 400, "'dir'"},
        {"/logs/find?from=0&dir=next", 400, "'q' is required"},
        {"/logs/find?from=0&dir=next&q=", 400, "'q' is required"},
        {"/logs/find?from=0&dir=next&q=x&level=LOUD", 400, "LOUD"},
        {"/logs/find?from=0&from=1&dir=next&q=x", 400, "from"},
        {"/logs/index?level=LOUD", 400, "LOUD"},
        {"/logs/index?levels=ERROR", 400, "levels"},
    };
    for (const Case &c : cases) {
        const auto r = cdtest::getJson(st.port(), path(id, c.rest), kToken);
        EXPECT_EQ(r.status, c.status) << c.rest;
        EXPECT_TRUE(r.body.contains(c.says)) << c.rest << ": " << r.body.toStdString();
    }
    const QString unknown = QStringLiteral("00000000-0000-0000-0000-000000000000");
    EXPECT_EQ(cdtest::getJson(st.port(), path(unknown, "/logs/index"), kToken).status, 404);
    EXPECT_EQ(cdtest::getJson(st.port(), path(unknown, "/logs/find?from=0&dir=next&q=x"), kToken).status, 404);
    // Read access: no token, no answer.
    EXPECT_EQ(cdtest::getJson(st.port(), path(id, "/logs/index")).status, 401);
    EXPECT_EQ(cdtest::getJson(st.port(), path(id, "/logs/find?from=0&dir=next&q=x")).status, 401);
}

TEST(LogRoutes, AnUnreadableLogIsUnavailableNeverEmpty)
{
    Stack st;
    const QString id = cdtest::jobWithLog(st, 5);
    ASSERT_TRUE(st.db->run(QStringLiteral("ALTER TABLE job_logs RENAME TO job_logs_gone"), {}, "test"));
    const auto index = cdtest::getJson(st.port(), path(id, "/logs/index?level=ERROR"), kToken);
    const auto find = cdtest::getJson(st.port(), path(id, "/logs/find?from=0&dir=next&q=page"), kToken);
    ASSERT_TRUE(st.db->run(QStringLiteral("ALTER TABLE job_logs_gone RENAME TO job_logs"), {}, "test"));
    EXPECT_EQ(index.status, 503) << index.body.toStdString();
    EXPECT_EQ(find.status, 503) << find.body.toStdString();
    EXPECT_EQ(cdtest::getJson(st.port(), path(id, "/logs/index"), kToken)
                  .json()
                  .value(QStringLiteral("last_seq"))
                  .toInteger(),
              5);
}

// A remote New job dialog offers the server's profiles: their names, never their commands.
TEST(ProfilesRoute, ListsTheProfileNamesOnly)
{
    Stack st(StackOptions().withProfiles({{QStringLiteral("scrapy"), QStringLiteral("python3 -m scrapy secret-arg")}}));
    const auto r = cdtest::getJson(st.port(), "/api/profiles", kToken);
    ASSERT_EQ(r.status, 200) << r.body.toStdString();
    EXPECT_TRUE(r.json().value(QStringLiteral("profiles")).toArray().contains(QStringLiteral("scrapy")));
    EXPECT_FALSE(r.body.contains("secret-arg"));
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/profiles").status, 401);
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/profiles?x=1", kToken).status, 400);
}
