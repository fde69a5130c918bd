#pragma once

#include "common/result.h"
#include "model/job.h"

#include <QDialog>
#include <QJsonObject>

#include <functional>
#include <variant>

class QComboBox;
class QLineEdit;
class QPlainTextEdit;
class QSpinBox;
class QLabel;
class QDialogButtonBox;

namespace cd::ui {

// New job: backend switch, then only what applies to it. Backends that are not configured stay
// visible but disabled, with the reason in their tooltip.
class NewJobDialog : public QDialog
{
    Q_OBJECT
public:
    struct BackendChoice
    {
        model::Backend backend;
        bool available;
        QString reason; // why it is disabled
    };

    // What the server would also check before it stores a job (Scheduler::validate: the backend
    // and its profile accept the spec); empty = only the request rules.
    using Check = std::function<Status(const model::JobSpec &)>;

    NewJobDialog(const QList<BackendChoice> &backends, const QStringList &profiles, Check check = {},
                 QWidget *parent = nullptr);

    void prefill(const model::Job &job);
    // The create-job body the fields describe, as POST /api/jobs takes it.
    QJsonObject body() const;
    // The spec the dialog describes (jobs::fromJson on body(), then the check), or an error text for
    // the first invalid field; the same rules and words as the HTTP API.
    std::variant<model::JobSpec, QString> spec() const;

private:
    void validate();

    QComboBox *m_backend;
    QComboBox *m_profile;
    QLabel *m_profileLabel;
    QLineEdit *m_keywords;
    QSpinBox *m_domains;
    QPlainTextEdit *m_startUrls;
    QSpinBox *m_priority;
    QSpinBox *m_timeout;
    QSpinBox *m_attempts;
    QPlainTextEdit *m_rawParams;
    QLabel *m_backendNote;
    QLabel *m_error;
    QDialogButtonBox *m_buttons;
    Check m_check;
};

} // namespace cd::ui
