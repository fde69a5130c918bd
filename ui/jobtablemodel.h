#pragma once

#include "model/job.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QSet>
#include <QTimer>

namespace cd::session {
class Session;
}

namespace cd::ui {

// Jobs, newest first, kept live from the session's feed. A change updates its row in place
// (dataChanged, batched per 50 ms so a busy job does not repaint per log line), a new job is
// inserted at the top, so selection and scroll position survive. Older jobs page in on demand, as
// the session answers; what the feed says while a page is on its way is applied to it.
class JobTableModel final : public QAbstractTableModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(JobTableModel)
public:
    // Node is last so the other columns keep their places; a view hides it unless showsNodes().
    // What = keywords · first start host (or RunPod) · profile; Found, Pages and Errors come from the
    // worker's summary (see JobFacts).
    enum Column {
        Id,
        What,
        Backend,
        Status,
        Progress,
        Found,
        Pages,
        Errors,
        Created,
        Duration,
        Attempt,
        Node,
        ColumnCount
    };
    enum Role { JobIdRole = Qt::UserRole + 1, StatusRole, ProgressRole, SortRole, JobRole, BadgeRole };
    static constexpr int kPage = 200;

    explicit JobTableModel(session::Session *session, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

    // Reads the first page again (after the session reconnected).
    void reload();
    bool isLoaded() const { return !m_loading; }
    std::optional<model::Job> jobAt(int row) const;
    int rowOf(const QString &jobId) const;
    // Flush pending row updates now (tests; before a screenshot).
    void flushUpdates();
    // The jobs shown ran on more than one node, so the Node column says something (on SQLite, or
    // before a shared database's second node ran anything, every job has the same node or none).
    bool showsNodes() const { return m_nodeJobs.size() > 1; }
    // A width that fits what a column usually holds (the view's starting point).
    static int defaultWidth(Column column);

Q_SIGNALS:
    void loaded();
    void showsNodesChanged(bool shows);

private:
    void onAdded(const model::Job &job);
    void onChanged(const model::Job &job);
    void onRemoved(const QString &jobId);
    void onFirstPage(const QList<model::Job> &page);
    void onPage(const QList<model::Job> &page);
    // The feed's newer view of a job read in a page, if it has one.
    model::Job latest(const model::Job &job) const;
    void reindex(int from = 0);
    void countNode(const QString &node, int delta);
    void nodesCounted();

    session::Session *m_session;
    QList<model::Job> m_jobs;
    QHash<QString, int> m_rows;
    QSet<QString> m_dirty;
    QTimer m_batch;
    bool m_more = false;
    bool m_loading = false;
    bool m_fetching = false;
    quint64 m_generation = 0;
    // While a page is on its way: what the feed said about jobs (newest state) and which were added.
    QHash<QString, model::Job> m_seen;
    QStringList m_addedMeanwhile;
    QSet<QString> m_removedMeanwhile;
    QHash<QString, int> m_nodeJobs; // node → its jobs among the rows (jobs without a node left out)
    bool m_showedNodes = false;
};

} // namespace cd::ui
