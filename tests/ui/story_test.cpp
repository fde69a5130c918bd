// Issue 13, parts 2, 4, 5 and 6 as an operator meets them: the log console's match count, Hide
// DEBUG, wrapping and tooltips; the new-job dialog's fields, notes and errors; the details' ETA and
// callback URL. The console and details tests run once per kind of session (sessions.h); the
// screens are written to <build>/tests/screens in light and dark palettes.
#include "crawler/crawlparams.h"
#include "jobdetailspane.h"
#include "jobs/jobspec.h"
#include "logconsole.h"
#include "logmodel.h"
#include "newjobdialog.h"
#include "sessions.h"
#include "testutil.h"

#include <QApplication>
#include <QClipboard>
#include <QComboBox>
#include <QCoreApplication>
#include <QDialogButtonBox>
#include <QDir>
#include <QHeaderView>
#include <QJsonArray>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QStyle>
#include <QStyleFactory>
#include <QTableView>

#include <gtest/gtest.h>

using namespace cd;
using cdtest::Stack;
using cdtest::StackOptions;
using model::JobStatus;

namespace {

constexpr int kLines = 400;

// Lines 1..kLines of a crawl: mostly DEBUG, a WARNING "timed out" on every ninth line up to 369
// (41 of them), INFO progress now and then, one very long line (200).
QString lineText(int i)
{
    if (i == 200)
        return QStringLiteral("[INFO] long: ") + QStringLiteral("https://example.com/a-very-long-path ").repeated(60);
    if (i % 9 == 0 && i <= 369)
        return QStringLiteral("[WARNING] https://slow-%1.example/: timed out after 15 s").arg(i);
    if (i % 50 == 0)
        return QStringLiteral("[INFO] Progress: %1% - 2/10 domains, %2/400 pages").arg(i / 4).arg(i);
    return QStringLiteral("[DEBUG] 200 https://site-%1.example/page/%2 (depth 2, 31 links, utf-8)").arg(i % 17).arg(i);
}

int debugLines()
{
    int n = 0;
    for (int i = 1; i <= kLines; ++i)
        n += lineText(i).startsWith(QStringLiteral("[DEBUG]")) ? 1 : 0;
    return n;
}

// A job no runner takes (no RunPod backend here), with the log above.
model::Job jobWithLog(Stack &st)
{
    model::JobSpec s;
    s.backend = model::Backend::RunPod;
    s.params.insert(QStringLiteral("keywords"), QJsonArray{QStringLiteral("solar")});
    const auto job = st.jobs->insert(s).value();
    QStringList lines;
    for (int i = 1; i <= kLines; ++i)
        lines << lineText(i);
    st.bus->append(job.id, model::LogSource::Stdout, lines);
    st.logs->flush();
    return job;
}

class StoryTest : public testing::TestWithParam<cdtest::SessionKind>
{
protected:
    StackOptions options() const
    {
        StackOptions o = StackOptions().withProfiles({{QStringLiteral("long"), QStringLiteral("sleep 30")}});
        return GetParam().listen ? o : o.noListen();
    }
};

// The screens' palettes: Fusion with its light palette, or a dark one; put back afterwards.
class PaletteScope
{
public:
    explicit PaletteScope(bool dark) : m_palette(QApplication::palette()), m_style(QApplication::style()->name())
    {
        QApplication::setStyle(QStyleFactory::create(QStringLiteral("Fusion")));
        QPalette p = QApplication::style()->standardPalette();
        if (dark) {
            p.setColor(QPalette::Window, QColor(0x2b2d30));
            p.setColor(QPalette::WindowText, QColor(0xdfe1e5));
            p.setColor(QPalette::Base, QColor(0x1e1f22));
            p.setColor(QPalette::AlternateBase, QColor(0x26282b));
            p.setColor(QPalette::Text, QColor(0xdfe1e5));
            p.setColor(QPalette::Button, QColor(0x393b40));
            p.setColor(QPalette::ButtonText, QColor(0xdfe1e5));
            p.setColor(QPalette::Highlight, QColor(0x2f65ca));
            p.setColor(QPalette::HighlightedText, QColor(0xffffff));
            p.setColor(QPalette::PlaceholderText, QColor(0x8c8f94));
            p.setColor(QPalette::ToolTipBase, QColor(0x393b40));
            p.setColor(QPalette::ToolTipText, QColor(0xdfe1e5));
            p.setColor(QPalette::Mid, QColor(0x55585e));
            p.setColor(QPalette::Disabled, QPalette::Text, QColor(0x6f737a));
            p.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x6f737a));
            p.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x6f737a));
        }
        QApplication::setPalette(p);
    }
    ~PaletteScope()
    {
        QApplication::setStyle(QStyleFactory::create(m_style));
        QApplication::setPalette(m_palette);
    }
    Q_DISABLE_COPY_MOVE(PaletteScope)

private:
    QPalette m_palette;
    QString m_style;
};

ui::NewJobDialog::BackendChoice backend(model::Backend b, bool available = true, const QString &reason = {})
{
    return {b, available, reason};
}

} // namespace

TEST_P(StoryTest, ConsoleCountsMatchesHidesDebugAndForgetsTheSearchOnAnotherJob)
{
    Stack st(options());
    const auto job = jobWithLog(st);
    const auto other = jobWithLog(st);
    const auto session = GetParam().make(st);
    ui::LogConsole console(session.get());
    console.resize(900, 400);
    console.show();
    console.setJob(job.id);
    ui::LogModel *m = console.model();
    ASSERT_TRUE(cdtest::waitUntil([&] { return m->isLoaded() && m->rowCount() == kLines; }));

    // Typed, the search says how many lines match; each next match says which of them it is.
    console.find(QStringLiteral("TIMED OUT")); // case-insensitive
    ASSERT_TRUE(cdtest::waitUntil([&] { return console.searchStateText() == QStringLiteral("1 of 41"); }))
        << console.searchStateText().toStdString();
    for (int i = 0; i < 2; ++i)
        ASSERT_EQ(cdtest::searched(console, [&] { console.find(QStringLiteral("TIMED OUT")); }), true);
    ASSERT_TRUE(cdtest::waitUntil([&] { return console.searchStateText() == QStringLiteral("3 of 41"); }))
        << console.searchStateText().toStdString();
    EXPECT_EQ(m->seqForRow(console.currentRow()), 27);
    // Backwards from the first wraps to the last: 41 of 41.
    for (int i = 0; i < 3; ++i)
        ASSERT_EQ(cdtest::searched(console, [&] { console.find(QStringLiteral("TIMED OUT"), false); }), true);
    ASSERT_TRUE(cdtest::waitUntil([&] { return console.searchStateText() == QStringLiteral("41 of 41"); }))
        << console.searchStateText().toStdString();
    EXPECT_EQ(m->seqForRow(console.currentRow()), 369);

    // Hide DEBUG: one click, and the count still holds (the matches are warnings).
    console.setHideDebug(true);
    ASSERT_TRUE(cdtest::waitUntil([&] { return m->isLoaded() && m->rowCount() == kLines - debugLines(); }))
        << m->rowCount();
    for (int r = 0; r < m->rowCount(); ++r) {
        ASSERT_TRUE(cdtest::waitUntil([&] { return !m->index(r).data(ui::LogModel::PendingRole).toBool(); }));
        ASSERT_NE(m->index(r).data(ui::LogModel::LevelRole).toInt(), static_cast<int>(model::LogLevel::Debug));
    }
    ASSERT_EQ(cdtest::searched(console, [&] { console.find(QStringLiteral("timed out")); }), true);
    ASSERT_TRUE(cdtest::waitUntil([&] { return console.searchStateText().endsWith(QStringLiteral(" of 41")); }))
        << console.searchStateText().toStdString();
    // "page/" is only on DEBUG lines: none of them is a match while they are hidden.
    ASSERT_EQ(cdtest::searched(console, [&] { console.find(QStringLiteral("page/")); }), false);
    ASSERT_TRUE(cdtest::waitUntil([&] { return console.searchStateText() == QStringLiteral("not found"); }));
    console.setHideDebug(false);
    ASSERT_TRUE(cdtest::waitUntil([&] { return m->isLoaded() && m->rowCount() == kLines; }));

    // A line's full text on hover, however long.
    const QString tip = m->index(199).data(Qt::ToolTipRole).toString();
    const QString longLine = lineText(200).mid(QStringLiteral("[INFO] ").size());
    ASSERT_TRUE(cdtest::waitUntil([&] { return !m->index(199).data(ui::LogModel::PendingRole).toBool(); }));
    EXPECT_TRUE(m->index(199).data(Qt::ToolTipRole).toString().contains(longLine.trimmed().toHtmlEscaped()))
        << tip.toStdString();

    // Wrapped, the long line's row (found by a search) is as tall as its text needs; unwrapped, one line again.
    QTableView *view = console.view();
    const int oneLine = view->rowHeight(0);
    ASSERT_EQ(cdtest::searched(console, [&] { console.find(QStringLiteral("long: https")); }), true);
    ASSERT_EQ(console.currentRow(), 199);
    console.setWrap(true);
    ASSERT_TRUE(cdtest::waitUntil([&] { return view->rowHeight(199) > 3 * oneLine; })) << view->rowHeight(199);
    EXPECT_EQ(view->rowHeight(198), oneLine);
    console.setWrap(false);
    EXPECT_EQ(view->rowHeight(199), oneLine);

    // Another job: the search was for the other log.
    console.find(QStringLiteral("timed out"));
    ASSERT_TRUE(cdtest::waitUntil([&] { return console.searchStateText().contains(QStringLiteral(" of 41")); }));
    console.setJob(other.id);
    EXPECT_TRUE(console.searchText().isEmpty());
    EXPECT_TRUE(console.searchStateText().isEmpty());
    ASSERT_TRUE(cdtest::waitUntil([&] { return m->isLoaded() && m->rowCount() == kLines; }));
    cdtest::spin(300); // a count still on its way for the old job must not come back
    EXPECT_TRUE(console.searchStateText().isEmpty()) << console.searchStateText().toStdString();
}

TEST_P(StoryTest, DetailsShowProfileNodeAndTheCallbackUrlWithACopyButton)
{
    Stack st(options());
    // A seed-style job without start URLs waits for an outside worker: its callback URL matters.
    const auto spec = jobs::fromJson(QJsonObject{{QStringLiteral("keywords"), QJsonArray{QStringLiteral("tides")}}},
                                     jobs::Origin::SeedStart);
    ASSERT_TRUE(spec);
    const auto external = st.scheduler->submit(spec.value()).value();
    model::JobSpec ownSpec;
    ownSpec.params.insert(QStringLiteral("profile"), QStringLiteral("long"));
    const auto own = st.scheduler->submit(ownSpec).value();
    ASSERT_TRUE(cdtest::waitUntil([&] {
        return st.jobs->job(external.id)->status == JobStatus::Running &&
               st.jobs->job(own.id)->status == JobStatus::Running;
    }));

    const auto session = GetParam().make(st);
    ui::JobDetailsPane pane(session.get());
    pane.resize(900, 500);
    pane.show();
    pane.setCurrentIndex(3); // Details
    pane.setJob(external.id);
    ASSERT_TRUE(cdtest::waitUntil([&] { return pane.callbackUrl() == st.callbackUrlFor(external.id); }))
        << pane.callbackUrl().toStdString();
    EXPECT_TRUE(pane.copyCallbackButton()->isVisibleTo(&pane));
    QApplication::clipboard()->clear();
    pane.copyCallbackButton()->click();
    EXPECT_EQ(QApplication::clipboard()->text(), st.callbackUrlFor(external.id));
    const QString html = pane.detailsHtml();
    EXPECT_TRUE(html.contains(QStringLiteral("<b>Profile</b></td><td>external"))) << html.toStdString();
    EXPECT_TRUE(html.contains(QStringLiteral("<b>Node</b></td><td>test-node"))) << html.toStdString();

    // A job whose worker is our own child process has no callback URL to hand out.
    pane.setJob(own.id);
    ASSERT_TRUE(cdtest::waitUntil([&] { return pane.job().has_value(); }));
    cdtest::spin(200);
    EXPECT_TRUE(pane.callbackUrl().isEmpty());
    EXPECT_FALSE(pane.copyCallbackButton()->isVisibleTo(&pane));
    EXPECT_TRUE(pane.detailsHtml().contains(QStringLiteral("<b>Profile</b></td><td>long")));
    // No progress yet: no estimate, and it says when there will be one.
    EXPECT_TRUE(pane.etaText().isEmpty());
    EXPECT_TRUE(pane.detailsHtml().contains(QStringLiteral("shown once progress has moved")));

    // Progress moves: an estimate from the rate.
    st.bus->append(own.id, model::LogSource::Stdout, QStringList{QStringLiteral("Progress: 40%")});
    st.logs->flush();
    ASSERT_TRUE(cdtest::waitUntil([&] { return pane.job() && pane.job()->progress == 40; }));
    ASSERT_TRUE(cdtest::waitUntil([&] { return !pane.etaText().isEmpty(); }));
    EXPECT_TRUE(pane.etaText().contains(QStringLiteral(" left"))) << pane.etaText().toStdString();
    EXPECT_TRUE(pane.detailsHtml().contains(QStringLiteral("<b>ETA</b>")));
    st.scheduler->cancel(own.id);
}

INSTANTIATE_TEST_SUITE_P(Sessions, StoryTest, testing::ValuesIn(cdtest::sessionKinds()),
                         [](const testing::TestParamInfo<cdtest::SessionKind> &info) { return info.param.name; });

TEST(JobEta, NeedsTwoSamplesThatShowProgressMoving)
{
    using Pane = ui::JobDetailsPane;
    const QDateTime t0 = QDateTime::fromString(QStringLiteral("2026-11-29T10:00:00Z"), Qt::ISODate);
    EXPECT_FALSE(Pane::secondsLeft({}));
    EXPECT_FALSE(Pane::secondsLeft({{t0, 0}}));
    EXPECT_FALSE(Pane::secondsLeft({{t0, 0}, {t0.addSecs(60), 0}}));   // not moving
    EXPECT_FALSE(Pane::secondsLeft({{t0, 10}, {t0, 20}}));             // no time passed
    EXPECT_FALSE(Pane::secondsLeft({{t0, 0}, {t0.addSecs(60), 100}})); // done
    // 25 % a minute: 75 % is three more minutes.
    EXPECT_EQ(Pane::secondsLeft({{t0, 0}, {t0.addSecs(60), 25}}).value_or(-1), 180);
    EXPECT_EQ(Pane::secondsLeft({{t0, 0}, {t0.addSecs(30), 10}, {t0.addSecs(60), 25}}).value_or(-1), 180);
}

TEST(NewJobDialog, CrawlerFieldsWithTheApiDefaultsAndNotesForTheChosenBackendOnly)
{
    ui::NewJobDialog dlg({backend(model::Backend::Local), backend(model::Backend::RunPod),
                          backend(model::Backend::RunPodPod, false, QStringLiteral("set RUNPOD_POD_URL"))},
                         {QStringLiteral("crawler"), QStringLiteral("scrapy")});
    dlg.findChildren<QLineEdit *>().value(0)->setText(QStringLiteral("solar"));
    dlg.findChildren<QPlainTextEdit *>().value(0)->setPlainText(QStringLiteral("example.com/start\nhttp://b.example/"));
    const crawler::CrawlParams defaults;
    const QJsonObject body = dlg.body();
    // Defaults: what the API gives a job that names none (5 domains, as POST /api/crawler/start).
    EXPECT_EQ(body.value(QStringLiteral("domain_count")).toInt(), 5);
    const auto seed = jobs::fromJson(QJsonObject{{QStringLiteral("keywords"), QJsonArray{QStringLiteral("x")}}},
                                     jobs::Origin::SeedStart);
    EXPECT_EQ(body.value(QStringLiteral("domain_count")).toInt(),
              seed->params.value(QStringLiteral("domain_count")).toInt());
    EXPECT_EQ(defaults.domainCount, 5);
    const QJsonObject params = body.value(QStringLiteral("params")).toObject();
    EXPECT_EQ(params.value(QStringLiteral("max_pages")).toInt(), defaults.maxPages);
    EXPECT_EQ(params.value(QStringLiteral("max_depth")).toInt(), defaults.maxDepth);
    EXPECT_EQ(params.value(QStringLiteral("delay_ms")).toInt(), defaults.delayMs);
    EXPECT_EQ(params.value(QStringLiteral("concurrency")).toInt(), defaults.concurrency);
    EXPECT_EQ(params.value(QStringLiteral("same_site_only")).toBool(), defaults.sameSiteOnly);
    EXPECT_FALSE(params.contains(QStringLiteral("user_agent"))); // empty field: the crawler's own
    // Every field is a key the crawler reads, and checks.
    for (auto it = params.begin(); it != params.end(); ++it)
        EXPECT_TRUE(crawler::CrawlParams::keys().contains(it.key())) << it.key().toStdString();
    // A URL without a scheme gets https://.
    EXPECT_EQ(body.value(QStringLiteral("start_urls")).toArray(),
              (QJsonArray{QStringLiteral("https://example.com/start"), QStringLiteral("http://b.example/")}));
    ASSERT_TRUE(std::holds_alternative<model::JobSpec>(dlg.spec())) << std::get<QString>(dlg.spec()).toStdString();
    EXPECT_TRUE(dlg.note().contains(QStringLiteral("https:// is added to 1 start URL")));

    // Notes about the chosen backend only.
    EXPECT_TRUE(dlg.note().contains(QStringLiteral("this machine")));
    EXPECT_FALSE(dlg.note().contains(QStringLiteral("RunPod")));
    auto *backends = dlg.findChildren<QComboBox *>().value(0);
    backends->setCurrentIndex(1);
    EXPECT_TRUE(dlg.note().contains(QStringLiteral("RunPod serverless endpoint")));
    EXPECT_FALSE(dlg.note().contains(QStringLiteral("this machine")));
    EXPECT_FALSE(dlg.note().contains(QStringLiteral("RUNPOD_POD_URL")));
    // RunPod gets no crawler fields: its worker reads its own params.
    EXPECT_FALSE(dlg.body().value(QStringLiteral("params")).toObject().contains(QStringLiteral("max_pages")));
    backends->setCurrentIndex(0);

    // Empty start URLs are explained; with the external profile the job waits for a worker.
    dlg.findChildren<QPlainTextEdit *>().value(0)->clear();
    EXPECT_TRUE(dlg.note().contains(QStringLiteral("needs at least one page")));
    dlg.findChildren<QComboBox *>().value(1)->setCurrentText(jobs::kExternalProfile);
    EXPECT_TRUE(dlg.note().contains(QStringLiteral("the job will wait for an outside worker")));
    const auto external = std::get<model::JobSpec>(dlg.spec());
    EXPECT_TRUE(jobs::isExternal(external.params));
    EXPECT_FALSE(external.params.contains(QStringLiteral("max_pages")));
}

TEST(NewJobDialog, ListsEveryProblemAtOnceInTheApisWords)
{
    Stack st(StackOptions().noListen().withProfiles(
        {{QStringLiteral("crawler"),
          QStringLiteral("crawldeck worker crawl --params {params_file} --output {output_dir}")}}));
    const auto session = cdtest::localSession(st);
    ui::NewJobDialog dlg({backend(model::Backend::Local)}, {QStringLiteral("crawler")}, session.get());
    auto *keywords = dlg.findChildren<QLineEdit *>().value(0);
    const auto edits = dlg.findChildren<QPlainTextEdit *>();
    keywords->setText(QStringLiteral(" , "));
    edits.at(0)->setPlainText(QStringLiteral("https://good.example/\nhttp://\nftp://files.example/"));
    edits.at(1)->setPlainText(QStringLiteral("{\"max_page\": 3}"));
    // The service's part (the crawler's parser, via the scheduler) comes with the rest.
    ASSERT_TRUE(cdtest::waitUntil([&] { return dlg.errors().size() == 4; })) << dlg.errors().join(u'\n').toStdString();
    const QStringList errors = dlg.errors();
    EXPECT_EQ(errors.at(0), QStringLiteral("Enter at least one keyword."));
    EXPECT_TRUE(errors.at(1).startsWith(QStringLiteral("Start URL 2: 'start_urls' entry 'http://'")));
    EXPECT_TRUE(errors.at(2).startsWith(QStringLiteral("Start URL 3: 'start_urls' entry 'ftp://files.example/'")));
    EXPECT_TRUE(errors.at(3).contains(QStringLiteral("'params.max_page' (did you mean 'max_pages'?)")))
        << errors.at(3).toStdString();
    const auto shown = dlg.spec();
    ASSERT_TRUE(std::holds_alternative<QString>(shown));
    EXPECT_EQ(std::get<QString>(shown), errors.join(u'\n'));
    EXPECT_FALSE(dlg.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->isEnabled());

    // A bad JSON box is one more problem, not instead of the others.
    edits.at(1)->setPlainText(QStringLiteral("{\"max_pages\": 3"));
    ASSERT_TRUE(cdtest::waitUntil([&] { return dlg.errors().size() == 4; })) << dlg.errors().join(u'\n').toStdString();
    EXPECT_TRUE(dlg.errors().at(3).startsWith(QStringLiteral("Extra params:")));

    // Fixed, it starts.
    keywords->setText(QStringLiteral("solar"));
    edits.at(0)->setPlainText(QStringLiteral("good.example"));
    edits.at(1)->setPlainText(QStringLiteral("{\"max_pages\": 3}"));
    ASSERT_TRUE(cdtest::waitUntil([&] { return dlg.errors().isEmpty(); })) << dlg.errors().join(u'\n').toStdString();
    const auto spec = std::get<model::JobSpec>(dlg.spec());
    EXPECT_EQ(spec.params.value(QStringLiteral("max_pages")).toInt(), 3);
    EXPECT_TRUE(dlg.findChild<QDialogButtonBox *>()->button(QDialogButtonBox::Ok)->isEnabled());
}

// Screens for a person to look at: the new-job dialog with all its errors, and the console with a
// search at "3 of 41" and DEBUG hidden, in light and dark palettes.
TEST(StoryScreens, NewJobDialogAndLogConsoleInLightAndDark)
{
    Stack st(StackOptions().noListen().withProfiles(
        {{QStringLiteral("crawler"),
          QStringLiteral("crawldeck worker crawl --params {params_file} --output {output_dir}")},
         {QStringLiteral("scrapy"), QStringLiteral("true")}}));
    const auto job = jobWithLog(st);
    const auto session = cdtest::localSession(st);
    for (const bool dark : {false, true}) {
        SCOPED_TRACE(dark ? "dark" : "light");
        PaletteScope palette(dark);
        const QString suffix = dark ? QStringLiteral("-dark.png") : QStringLiteral("-light.png");
        {
            ui::NewJobDialog dlg({backend(model::Backend::Local),
                                  backend(model::Backend::RunPod, false, QStringLiteral("set RUNPOD_ENDPOINT_URL")),
                                  backend(model::Backend::RunPodPod, false, QStringLiteral("set RUNPOD_POD_URL"))},
                                 {QStringLiteral("crawler"), QStringLiteral("scrapy")}, session.get());
            dlg.findChildren<QLineEdit *>().value(0)->setText(QStringLiteral(" "));
            const auto edits = dlg.findChildren<QPlainTextEdit *>();
            edits.at(0)->setPlainText(QStringLiteral("solar-news.example\nhttp://\nftp://files.example/"));
            edits.at(1)->setPlainText(QStringLiteral("{\"max_page\": 50, \"timeout_s\": 20}"));
            dlg.show();
            ASSERT_TRUE(cdtest::waitUntil([&] { return dlg.errors().size() == 4; }))
                << dlg.errors().join(u'\n').toStdString();
            // As exec() would size it (adjustSize() caps a window at 2/3 of the small offscreen screen).
            dlg.resize(dlg.sizeHint());
            cdtest::spin(50);
            EXPECT_GE(dlg.height(), dlg.minimumSizeHint().height());
            EXPECT_TRUE(dlg.grab().save(cdtest::screensDir() + QStringLiteral("/story-newjob-errors") + suffix));
        }
        {
            ui::LogConsole console(session.get());
            console.resize(1100, 420);
            console.show();
            console.setJob(job.id);
            console.setHideDebug(true);
            ASSERT_TRUE(cdtest::waitUntil([&] { return console.model()->isLoaded(); }));
            for (int i = 0; i < 3; ++i)
                ASSERT_EQ(cdtest::searched(console, [&] { console.find(QStringLiteral("timed out")); }), true);
            ASSERT_TRUE(cdtest::waitUntil([&] { return console.searchStateText() == QStringLiteral("3 of 41"); }))
                << console.searchStateText().toStdString();
            cdtest::spin(50);
            EXPECT_TRUE(console.grab().save(cdtest::screensDir() + QStringLiteral("/story-log-search") + suffix));
            console.setWrap(true);
            console.view()->scrollTo(console.model()->index(console.model()->rowForSeq(200)),
                                     QAbstractItemView::PositionAtTop);
            cdtest::spin(100);
            EXPECT_TRUE(console.grab().save(cdtest::screensDir() + QStringLiteral("/story-log-wrapped") + suffix));
        }
    }
}
