// GET /api/jobs/{id}/logs/index by page: every matching seq once and in order across pages, the
// paging fields as /logs has them, and strict parameters.
#include "stack.h"
#include "testutil.h"

#include <QJsonArray>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::Stack;

namespace {

// Lines `from`..`from + n - 1` of a job's log: every third seq an ERROR, the rest DEBUG.
void appendLines(Stack &st, const QString &id, int from, int n)
{
    QStringList lines;
    for (int i = from; i < from + n; ++i)
        lines << (i % 3 == 0 ? QStringLiteral("[ERROR] failed %1").arg(i) : QStringLiteral("[DEBUG] step %1").arg(i));
    st.bus->append(id, model::LogSource::Stdout, lines);
    EXPECT_TRUE(st.logs->flush());
}

// A job no runner takes, with `n` such lines.
QString jobWithErrors(Stack &st, int n)
{
    model::JobSpec spec;
    spec.backend = model::Backend::RunPod;
    const QString id = st.jobs->insert(spec).value().id;
    appendLines(st, id, 1, n);
    return id;
}

struct Page
{
    int status = 0;
    qint64 lastSeq = 0;
    QList<qint64> seqs;
    qint64 nextAfter = -1;
    bool hasMore = false;
};

Page page(Stack &st, const QString &id, const QByteArray &query)
{
    const auto r = cdtest::getJson(st.port(), "/api/jobs/" + id.toUtf8() + "/logs/index?" + query, Stack::kToken);
    Page p;
    p.status = r.status;
    const QJsonObject o = r.json();
    p.lastSeq = o.value(QStringLiteral("last_seq")).toInteger();
    for (const auto &v : o.value(QStringLiteral("seqs")).toArray())
        p.seqs << v.toInteger();
    p.nextAfter = o.value(QStringLiteral("next_after")).toInteger(-1);
    p.hasMore = o.value(QStringLiteral("has_more")).toBool();
    return p;
}

QList<qint64> multiplesOf3(qint64 upTo)
{
    QList<qint64> out;
    for (qint64 s = 3; s <= upTo; s += 3)
        out << s;
    return out;
}

} // namespace

TEST(LogIndexPages, EveryMatchingSeqOnceAndInOrderAcrossPages)
{
    Stack st;
    const QString id = jobWithErrors(st, 200); // ERROR at 3, 6, ..., 198: 66 seqs
    QList<qint64> all;
    qint64 after = 0;
    int pages = 0;
    for (;;) {
        const Page p = page(st, id, "level=ERROR&limit=7&after=" + QByteArray::number(after));
        ASSERT_EQ(p.status, 200);
        ASSERT_LE(p.seqs.size(), 7);
        EXPECT_EQ(p.lastSeq, 200);
        ++pages;
        all += p.seqs;
        EXPECT_EQ(p.nextAfter, p.seqs.isEmpty() ? after : p.seqs.last());
        EXPECT_EQ(p.hasMore, p.seqs.size() == 7);
        if (!p.hasMore)
            break;
        after = p.nextAfter;
        ASSERT_LT(pages, 100) << "paging must end";
    }
    EXPECT_EQ(pages, 10); // nine full pages and one of three
    EXPECT_EQ(all, multiplesOf3(200));

    // A page size that divides the count: the last full page says has_more, the next one is empty.
    all.clear();
    after = 0;
    pages = 0;
    for (;;) {
        const Page p = page(st, id, "level=ERROR&limit=6&after=" + QByteArray::number(after));
        ASSERT_EQ(p.status, 200);
        ++pages;
        all += p.seqs;
        if (!p.hasMore) {
            EXPECT_TRUE(p.seqs.isEmpty());
            EXPECT_EQ(p.nextAfter, after);
            break;
        }
        after = p.nextAfter;
        ASSERT_LT(pages, 100);
    }
    EXPECT_EQ(pages, 12);
    EXPECT_EQ(all, multiplesOf3(200));

    // Without a limit the whole index is one page.
    const Page whole = page(st, id, "level=ERROR");
    EXPECT_EQ(whole.seqs, multiplesOf3(200));
    EXPECT_FALSE(whole.hasMore);
    EXPECT_EQ(whole.nextAfter, 198);
}

TEST(LogIndexPages, EachPageDescribesTheLogAsItWasWhenThatPageWasRead)
{
    Stack st;
    const QString id = jobWithErrors(st, 30); // ERROR at 3..30: 10 seqs
    const Page first = page(st, id, "level=ERROR&limit=4");
    ASSERT_EQ(first.status, 200);
    EXPECT_EQ(first.lastSeq, 30);
    EXPECT_EQ(first.seqs, (QList<qint64>{3, 6, 9, 12}));
    ASSERT_TRUE(first.hasMore);
    appendLines(st, id, 31, 30); // the log grows to 60 between two pages
    QList<qint64> rest;
    qint64 after = first.nextAfter;
    for (int pages = 0;; ++pages) {
        const Page p = page(st, id, "level=ERROR&limit=4&after=" + QByteArray::number(after));
        ASSERT_EQ(p.status, 200);
        EXPECT_EQ(p.lastSeq, 60);
        for (qint64 s : p.seqs)
            EXPECT_LE(s, p.lastSeq);
        rest += p.seqs;
        if (!p.hasMore)
            break;
        after = p.nextAfter;
        ASSERT_LT(pages, 100);
    }
    EXPECT_EQ(first.seqs + rest, multiplesOf3(60));
}

TEST(LogIndexPages, BadRepeatedOrUnknownParametersAre400)
{
    Stack st;
    const QString id = jobWithErrors(st, 10);
    for (const QByteArray &q :
         {QByteArray("level=ERROR&limit=0"), QByteArray("level=ERROR&limit=100001"),
          QByteArray("level=ERROR&limit=ten"), QByteArray("level=ERROR&limit=-5"), QByteArray("level=ERROR&after=-1"),
          QByteArray("level=ERROR&after=x"), QByteArray("level=ERROR&limit=5&limit=6"),
          QByteArray("level=ERROR&after=1&after=2"), QByteArray("level=ERROR&level=DEBUG"),
          QByteArray("level=ERROR&offset=3"), QByteArray("level=LOUD&limit=5"), QByteArray("level=ERROR&limit=1.5")}) {
        const auto r = cdtest::getJson(st.port(), "/api/jobs/" + id.toUtf8() + "/logs/index?" + q, Stack::kToken);
        EXPECT_EQ(r.status, 400) << q.toStdString() << ": " << r.body.toStdString();
    }
    // The bounds themselves are fine, and paging fields come without `level` too.
    EXPECT_EQ(page(st, id, "level=ERROR&limit=100000").status, 200);
    EXPECT_EQ(page(st, id, "level=ERROR&limit=1").seqs, (QList<qint64>{3}));
    const Page plain = page(st, id, "after=4&limit=2");
    EXPECT_EQ(plain.status, 200);
    EXPECT_TRUE(plain.seqs.isEmpty());
    EXPECT_FALSE(plain.hasMore);
    EXPECT_EQ(plain.nextAfter, 4);
    EXPECT_EQ(plain.lastSeq, 10);
    // A missing job is still 404 with paging parameters.
    EXPECT_EQ(cdtest::getJson(st.port(), "/api/jobs/nope/logs/index?level=ERROR&limit=5", Stack::kToken).status, 404);
}
