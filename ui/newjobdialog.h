#pragma once

#include "model/job.h"

#include <QDialog>

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

    NewJobDialog(const QList<BackendChoice> &backends, const QStringList &profiles, QWidget *parent = nullptr);

    void prefill(const model::Job &job);
    // The spec the dialog describes, or an error text for the first invalid field.
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
};

} // namespace cd::ui
