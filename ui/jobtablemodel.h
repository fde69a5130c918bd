#pragma once

#include "model/job.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QSet>
#include <QTimer>

namespace cd::store {
class JobStore;
}
namespace cd::feed {
class ChangeFeed;
}

namespace cd::ui {

// Jobs, newest first, kept live from the store's signals. A change updates its row in place
// (dataChanged, batched per 50 ms so a busy job does not repaint per log line), a new job is
// inserted at the top, so selection and scroll position survive. Older jobs page in on demand.
class JobTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Id, Kind, Backend, Status, Progress, Created, Duration, Attempt, ColumnCount };
    enum Role { JobIdRole = Qt::UserRole + 1, StatusRole, ProgressRole, SortRole, JobRole };
    static constexpr int kPage = 200;

    // Rows come from the store; changes (also other nodes') from the feed.
    JobTableModel(store::JobStore *store, feed::ChangeFeed *feed, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

    void reload();
    std::optional<model::Job> jobAt(int row) const;
    int rowOf(const QString &jobId) const;
    // Flush pending row updates now (tests; before a screenshot).
    void flushUpdates();

private:
    void onAdded(const model::Job &job);
    void onChanged(const model::Job &job);
    void reindex(int from = 0);

    store::JobStore *m_store;
    QList<model::Job> m_jobs;
    QHash<QString, int> m_rows;
    QSet<QString> m_dirty;
    QTimer m_batch;
    bool m_more = false;
};

} // namespace cd::ui
