#pragma once

#include "model/logline.h"

#include <QAbstractListModel>

namespace cd::store {
class LogStore;
}
namespace cd::logs {
class LogBus;
}

namespace cd::ui {

// One job's log: pages from the store on demand (fetchMore), live lines from the LogBus once the
// stored part is loaded, so a view scrolls through any length without loading it all up front.
class LogModel : public QAbstractListModel
{
    Q_OBJECT
public:
    enum Role { LevelRole = Qt::UserRole + 1, SeqRole };
    static constexpr int kPage = 5000;

    LogModel(store::LogStore *store, logs::LogBus *bus, QObject *parent = nullptr);

    void setJob(const QString &jobId);
    QString jobId() const { return m_jobId; }

    int rowCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    bool canFetchMore(const QModelIndex &parent) const override;
    void fetchMore(const QModelIndex &parent) override;

private:
    void onLines(const QString &jobId, const model::LogLines &lines);

    store::LogStore *m_store;
    QString m_jobId;
    model::LogLines m_lines;
    bool m_complete = true;
    bool m_fetching = false;
};

} // namespace cd::ui
