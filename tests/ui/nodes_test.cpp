// The nodes of a service in the window: Session::nodes() over the store (local) and GET /api/nodes
// (remote) on both database dialects, two real nodes sharing PostgreSQL with one killed, the Nodes
// panel rendered, and the job table's Node column.
#include "colours.h"
#include "jobtablemodel.h"
#include "mainwindow.h"
#include "nodecluster.h"
#include "nodespanel.h"
#include "pgcluster.h"
#include "session/remotesession.h"
#include "sessions.h"
#include "store/database.h"
#include "testutil.h"

#include <QAbstractItemModelTester>
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QMenu>
#include <QMenuBar>
#include <QPalette>
#include <QSignalSpy>
#include <QSqlQuery>
#include <QTableView>
#include <QTreeWidget>

#include <gtest/gtest.h>

#include <algorithm>

using namespace cd;
using cdtest::await;
using cdtest::Stack;
using cdtest::StackOptions;
using session::NodeStatus;
using session::Reply;

namespace {

const QString kA = QStringLiteral("node-a");
const QString kB = QStringLiteral("node-b");
const QString kC = QStringLiteral("node-c");

// Three nodes in the stack's database: a leads, b runs one local job, c last beat long ago (lost).
void threeNodes(Stack &st)
{
    const QDateTime started = QDateTime::fromString(QStringLiteral("2026-03-01T08:00:00.000Z"), Qt::ISODateWithMs);
    for (const QString &id : {kA, kB, kC})
        ASSERT_TRUE(st.nodes->beat(id, QStringLiteral("http://10.0.0.%1:8000").arg(id.back().unicode() - 'a' + 1),
                                   QStringLiteral("1.4.0"), started));
    ASSERT_TRUE(st.db->run(QStringLiteral("UPDATE nodes SET heartbeat_at = '2026-03-01T09:00:00.000Z' WHERE id = ?"),
                           {kC}, "backdating a heartbeat"));
    const auto now = st.nodes->now();
    ASSERT_TRUE(now);
    ASSERT_TRUE(st.nodes->lead(kA, now.value(), now->addSecs(30)).value_or(false));
    model::JobSpec spec;
    spec.backend = model::Backend::RunPod; // no runner here takes it
    const QString job = st.jobs->insert(spec).value().id;
    ASSERT_TRUE(
        st.db->run(QStringLiteral("UPDATE jobs SET status = 'running', node = ?, backend = 'local' WHERE id = ?"),
                   {kB, job}, "placing a job on a node"));
}

const NodeStatus *find(const QList<NodeStatus> &nodes, const QString &id)
{
    const auto it = std::find_if(nodes.cbegin(), nodes.cend(), [&](const NodeStatus &n) { return n.id == id; });
    return it == nodes.cend() ? nullptr : &*it;
}

std::optional<Result<QList<NodeStatus>>> nodesOf(session::Session &s)
{
    return await<QList<NodeStatus>>([&](QObject *c, Reply<QList<NodeStatus>> d) { s.nodes(c, d); });
}

StackOptions on(const QString &location)
{
    StackOptions o;
    if (location.startsWith(QStringLiteral("postgresql:")))
        o.on(location);
    return o;
}

class NodesOnEachDialect : public cdtest::OnEachDialect
{};

} // namespace

TEST_P(NodesOnEachDialect, EverySessionKindListsTheNodesTheStoreHas)
{
    Stack st(on(location()));
    threeNodes(st);
    for (const auto &kind : cdtest::sessionKinds()) {
        SCOPED_TRACE(kind.name);
        auto s = kind.make(st);
        const auto answer = nodesOf(*s);
        ASSERT_TRUE(answer && answer->ok()) << (answer ? answer->error().detail.toStdString() : "no answer");
        const QList<NodeStatus> &nodes = answer->value();
        ASSERT_EQ(nodes.size(), 3);
        const NodeStatus *a = find(nodes, kA);
        const NodeStatus *b = find(nodes, kB);
        const NodeStatus *c = find(nodes, kC);
        ASSERT_TRUE(a && b && c);
        EXPECT_TRUE(a->alive);
        EXPECT_TRUE(a->leader);
        EXPECT_EQ(a->address, QStringLiteral("http://10.0.0.1:8000"));
        EXPECT_EQ(a->version, QStringLiteral("1.4.0"));
        EXPECT_EQ(a->startedAt, QDateTime::fromString(QStringLiteral("2026-03-01T08:00:00.000Z"), Qt::ISODateWithMs));
        EXPECT_GE(a->heartbeatAgeS, 0);
        EXPECT_LE(a->heartbeatAgeS, 10);
        EXPECT_TRUE(a->running.isEmpty());
        EXPECT_TRUE(b->alive);
        EXPECT_FALSE(b->leader);
        EXPECT_EQ(b->running.value(model::Backend::Local), 1);
        EXPECT_FALSE(c->alive);
        EXPECT_FALSE(c->leader);
        EXPECT_GT(c->heartbeatAgeS, 3600) << "its age is measured on the database's clock";
    }
}

TEST_P(NodesOnEachDialect, ANodeThatLeftOnPurposeIsStoppedAndAnExpiredLeaseLeadsNobody)
{
    Stack st(on(location()));
    const QDateTime started = QDateTime::currentDateTimeUtc();
    ASSERT_TRUE(st.nodes->beat(kA, QString(), QStringLiteral("1"), started));
    const auto now = st.nodes->now();
    ASSERT_TRUE(now);
    ASSERT_TRUE(st.nodes->lead(kA, now.value(), now->addSecs(-1)).value_or(false)); // expired at once
    ASSERT_TRUE(st.nodes->beat(kB, QString(), QStringLiteral("1"), started));
    ASSERT_TRUE(st.nodes->leave(kB, started));
    auto s = cdtest::localSession(st);
    const auto answer = nodesOf(*s);
    ASSERT_TRUE(answer && answer->ok());
    const NodeStatus *a = find(answer->value(), kA);
    const NodeStatus *b = find(answer->value(), kB);
    ASSERT_TRUE(a && b);
    EXPECT_TRUE(a->alive);
    EXPECT_FALSE(a->leader);
    EXPECT_FALSE(b->alive);
    EXPECT_FALSE(b->heartbeatAt.isValid());
    EXPECT_EQ(b->heartbeatAgeS, -1);
}

INSTANTIATE_TEST_SUITE_P(Dialects, NodesOnEachDialect, testing::Values("sqlite", "postgresql"));

TEST(NodesPanel, ThreeNodesOneLostRenderedInLightAndDarkPalettes)
{
    Stack st(StackOptions().noListen());
    threeNodes(st);
    auto s = cdtest::localSession(st, session::LocalSession::Answers::Queued);
    const QPalette original = QApplication::palette();
    const QString dir = cdtest::screensDir();
    const QPalette dark = cdtest::darkPalette(original);
    for (const auto &[name, palette] : {std::pair{"light", original}, std::pair{"dark", dark}}) {
        SCOPED_TRACE(name);
        QApplication::setPalette(palette);
        ui::NodesPanel panel(s.get());
        QSignalSpy refreshed(&panel, &ui::NodesPanel::refreshed);
        panel.resize(980, 200);
        panel.show();
        ASSERT_TRUE(cdtest::waitUntil([&] { return refreshed.count() > 0; }));
        EXPECT_TRUE(panel.isPolling());
        EXPECT_EQ(panel.summary(), QStringLiteral("3 nodes: 2 alive, 1 lost"));
        QTreeWidget *list = panel.list();
        ASSERT_EQ(list->topLevelItemCount(), 3);
        const QColor lost = ui::statusColour(model::JobStatus::Failed);
        for (int i = 0; i < 3; ++i) {
            const QTreeWidgetItem *item = list->topLevelItem(i);
            const bool isLost = item->text(ui::NodesPanel::Id) == kC;
            EXPECT_EQ(item->foreground(ui::NodesPanel::Id).color() == lost, isLost) << item->text(0).toStdString();
            EXPECT_EQ(item->text(ui::NodesPanel::State).startsWith(QStringLiteral("lost")), isLost);
        }
        EXPECT_EQ(list->topLevelItem(0)->text(ui::NodesPanel::Leader), QStringLiteral("leader"));
        EXPECT_EQ(list->topLevelItem(1)->text(ui::NodesPanel::Running), QStringLiteral("local 1"));
        EXPECT_EQ(list->topLevelItem(2)->text(ui::NodesPanel::Running), QStringLiteral("idle"));
        EXPECT_TRUE(panel.grab().save(dir + QStringLiteral("/nodes-panel-%1.png").arg(QLatin1String(name))));
        panel.hide();
        EXPECT_FALSE(panel.isPolling()) << "no requests while nobody looks";
    }
    QApplication::setPalette(original);
}

TEST(NodesPanel, ASingleNodeSaysSoInsteadOfAnEmptyList)
{
    Stack st(StackOptions().noListen());
    auto s = cdtest::localSession(st);
    ui::NodesPanel panel(s.get());
    panel.show();
    ASSERT_TRUE(cdtest::waitUntil([&] { return panel.summary() != QStringLiteral("Reading the nodes…"); }));
    EXPECT_EQ(panel.summary(), QStringLiteral("Single node (this computer)")); // no node row yet
    ASSERT_TRUE(st.nodes->beat(kA, QString(), QStringLiteral("1"), QDateTime::currentDateTimeUtc()));
    panel.refresh();
    EXPECT_EQ(panel.list()->topLevelItemCount(), 1);
    EXPECT_EQ(panel.summary(), QStringLiteral("Single node (this computer)"));
}

TEST(NodeColumn, ShownOnlyWhenTheJobsRanOnMoreThanOneNode)
{
    Stack st(StackOptions().noListen());
    model::JobSpec spec;
    spec.backend = model::Backend::RunPod;
    QStringList ids;
    for (int i = 0; i < 3; ++i)
        ids << st.jobs->insert(spec).value().id;
    auto s = cdtest::localSession(st);
    ui::MainWindow w(s.get());
    ui::JobTableModel *model = w.jobModel();
    QAbstractItemModelTester tester(model, QAbstractItemModelTester::FailureReportingMode::Fatal);
    ASSERT_TRUE(cdtest::waitUntil([&] { return model->isLoaded() && model->rowCount() == 3; }));
    EXPECT_EQ(model->columnCount(), ui::JobTableModel::ColumnCount);
    EXPECT_EQ(model->headerData(ui::JobTableModel::Node, Qt::Horizontal).toString(), QStringLiteral("Node"));
    EXPECT_FALSE(model->showsNodes()) << "no job has a node yet";
    EXPECT_TRUE(w.table()->isColumnHidden(ui::JobTableModel::Node));

    QSignalSpy shows(model, &ui::JobTableModel::showsNodesChanged);
    ASSERT_TRUE(st.db->run(QStringLiteral("UPDATE jobs SET node = ?"), {kA}, "one node for all"));
    model->reload();
    ASSERT_TRUE(cdtest::waitUntil([&] { return model->isLoaded(); }));
    EXPECT_FALSE(model->showsNodes()) << "one node says nothing";
    EXPECT_TRUE(w.table()->isColumnHidden(ui::JobTableModel::Node));
    EXPECT_EQ(model->index(0, ui::JobTableModel::Node).data().toString(), kA);
    EXPECT_EQ(shows.count(), 0);

    ASSERT_TRUE(st.db->run(QStringLiteral("UPDATE jobs SET node = ? WHERE id = ?"), {kB, ids.at(1)}, "a second node"));
    model->reload();
    ASSERT_TRUE(cdtest::waitUntil([&] { return shows.count() == 1; }));
    EXPECT_TRUE(shows.at(0).at(0).toBool());
    EXPECT_TRUE(model->showsNodes());
    EXPECT_FALSE(w.table()->isColumnHidden(ui::JobTableModel::Node));
    const int row = model->rowOf(ids.at(1));
    ASSERT_GE(row, 0);
    EXPECT_EQ(model->index(row, ui::JobTableModel::Node).data().toString(), kB);
    EXPECT_EQ(model->index(row, ui::JobTableModel::Node).data(Qt::ToolTipRole).toString(),
              QStringLiteral("Runs or ran on node node-b"));

    // The feed moves the job back to node a: one node again, the column goes.
    auto moved = st.jobs->job(ids.at(1)).value();
    moved.node = kA;
    Q_EMIT s->jobChanged(moved);
    ASSERT_EQ(shows.count(), 2);
    EXPECT_FALSE(shows.at(1).at(0).toBool());
    EXPECT_TRUE(w.table()->isColumnHidden(ui::JobTableModel::Node));
}

// Two real nodes on one PostgreSQL database; the window's RemoteSession attached to node A.
TEST(NodesCluster, TheWindowSeesBothNodesAliveThenTheKilledOneLost)
{
    REQUIRE_PG();
    const QString db = cdtest::PgCluster::instance().createDatabase();
    QTemporaryDir dir;
    // Long enough that a node slowed down by a busy machine still beats in time.
    constexpr int kTimeoutS = 5;
    const QStringList extra{QStringLiteral("--listen"), QStringLiteral("127.0.0.1:0"), QStringLiteral("--node-timeout"),
                            QString::number(kTimeoutS)};
    cdtest::NodeProcess a(QStringLiteral(CRAWLDECK_BINARY), kA, db, dir.filePath(QStringLiteral("a")), extra);
    cdtest::NodeProcess b(QStringLiteral(CRAWLDECK_BINARY), kB, db, dir.filePath(QStringLiteral("b")), extra);
    ASSERT_NE(a.port(), 0) << a.stderrText().toStdString();
    ASSERT_NE(b.port(), 0) << b.stderrText().toStdString();
    client::ClientConfig config;
    config.baseUrl = QUrl(QStringLiteral("http://127.0.0.1:%1").arg(a.port()));
    config.token = cdtest::NodeProcess::kToken;
    session::RemoteSession s(config);
    ui::NodesPanel panel(&s);

    QList<NodeStatus> seen;
    auto look = [&] {
        const auto r = nodesOf(s);
        seen = r && r->ok() ? r->value() : QList<NodeStatus>{};
        return seen;
    };
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            look();
            const NodeStatus *na = find(seen, kA);
            const NodeStatus *nb = find(seen, kB);
            return seen.size() == 2 && na && nb && na->alive && nb->alive;
        },
        15000))
        << "both nodes alive";
    const NodeStatus *nb = find(seen, kB);
    EXPECT_EQ(nb->address, QStringLiteral("http://127.0.0.1:%1").arg(b.port()));
    EXPECT_EQ(std::count_if(seen.cbegin(), seen.cend(), [](const NodeStatus &n) { return n.leader; }), 1);

    b.kill();
    QElapsedTimer t;
    t.start();
    ASSERT_TRUE(cdtest::waitUntil(
        [&] {
            look();
            const NodeStatus *x = find(seen, kB);
            return x && !x->alive;
        },
        20000))
        << "B lost after the node timeout";
    const NodeStatus *lostB = find(seen, kB);
    EXPECT_GE(lostB->heartbeatAgeS, kTimeoutS);
    // Its last beat was at most a beat interval (a third of the timeout) before the kill.
    EXPECT_GE(t.elapsed(), kTimeoutS * 1000 * 2 / 3 - 500) << "not lost before the timeout";
    EXPECT_TRUE(find(seen, kA)->alive);
    std::printf("[ figures ] node B seen lost %lld ms after kill -9 (node timeout %d s)\n",
                static_cast<long long>(t.elapsed()), kTimeoutS);

    QSignalSpy refreshed(&panel, &ui::NodesPanel::refreshed);
    panel.show();
    ASSERT_TRUE(cdtest::waitUntil([&] { return refreshed.count() > 0; }));
    EXPECT_EQ(panel.summary(), QStringLiteral("2 nodes: 1 alive, 1 lost"));
    a.terminate();
}

TEST(NodesPanel, TheViewMenuShowsItInTheWindowAndItPollsOnlyWhileShown)
{
    Stack st(StackOptions().noListen());
    threeNodes(st);
    auto s = cdtest::localSession(st);
    ui::MainWindow w(s.get());
    w.show();
    ui::NodesPanel *panel = w.nodesPanel();
    ASSERT_TRUE(panel);
    EXPECT_FALSE(panel->isVisible()) << "hidden until asked for";
    EXPECT_FALSE(panel->isPolling());
    QAction *toggle = nullptr;
    for (QAction *menu : w.menuBar()->actions())
        if (menu->menu())
            for (QAction *a : menu->menu()->actions())
                if (a->text() == QStringLiteral("Nodes"))
                    toggle = a;
    ASSERT_TRUE(toggle) << "View ▸ Nodes";
    toggle->trigger();
    ASSERT_TRUE(cdtest::waitUntil([&] { return panel->isVisible() && panel->list()->topLevelItemCount() == 3; }));
    EXPECT_TRUE(panel->isPolling());
    const QString dir = cdtest::screensDir();
    EXPECT_TRUE(w.grab().save(dir + QStringLiteral("/main-nodes.png")));
    toggle->trigger();
    EXPECT_FALSE(panel->isVisible());
    EXPECT_FALSE(panel->isPolling());
}
