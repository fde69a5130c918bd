#pragma once

#include "model/job.h"

#include <QAbstractTableModel>
#include <QHash>

namespace cd::store {
class JobStore;
}

namespace cd::ui {

// Jobs, newest first, kept live from the store's signals: a change updates its row in place
// (dataChanged), a new job is inserted at the top, so selection and scroll position survive.
class JobTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { Id, Kind, Backend, Status, Progress, Created, Duration, Attempt, ColumnCount };
    enum Role { JobIdRole = Qt::UserRole + 1, StatusRole, ProgressRole, SortRole };

    explicit JobTableModel(store::JobStore *store, QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

    void reload();
    std::optional<model::Job> jobAt(int row) const;
    int rowOf(const QString &jobId) const;

private:
    void onAdded(const model::Job &job);
    void onChanged(const model::Job &job);
    void reindex();

    store::JobStore *m_store;
    QList<model::Job> m_jobs;
    QHash<QString, int> m_rows;
};

} // namespace cd::ui
