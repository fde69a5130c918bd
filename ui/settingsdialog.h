#pragma once

#include "settings/settings.h"

#include <QDialog>
#include <QHash>

class QLineEdit;
class QSpinBox;
class QCheckBox;
class QTableWidget;
class QLabel;
class QPushButton;

namespace cd::ui {

// Everything in the settings facade. OK saves; the app then applies what it can at once (listener,
// tokens, slots, profiles) without a restart.
class SettingsDialog : public QDialog
{
    Q_OBJECT
public:
    explicit SettingsDialog(settings::Settings *settings, QWidget *parent = nullptr);

    // Writes the form into the settings; an error text (nothing written) when a field is invalid.
    QString save();
    QString validate() const;

    QLineEdit *hostEdit() const { return m_host; }
    QSpinBox *portEdit() const { return m_port; }
    QTableWidget *profilesTable() const { return m_profiles; }
    // The visible reason a field cannot be changed here ("set by --listen"); empty when it can.
    QString overrideNote(settings::Setting setting) const;

private:
    void load();
    void testRunPod();
    // Lays out a field with room for its override note after it.
    QWidget *noted(settings::Setting setting, QWidget *field);
    QWidget *noted(settings::Setting setting, QLayout *fields);
    bool overridden(settings::Setting setting) const;

    settings::Settings *m_settings;
    QLineEdit *m_host;
    QSpinBox *m_port;
    QLineEdit *m_publicUrl;
    QLineEdit *m_token;
    QLineEdit *m_callbackKey;
    QCheckBox *m_trustLoopback;
    QCheckBox *m_closeToTray;
    QSpinBox *m_localSlots;
    QTableWidget *m_profiles;
    QLineEdit *m_runpodKey;
    QLineEdit *m_endpoint;
    QLineEdit *m_podUrl;
    QSpinBox *m_runpodSlots;
    QLabel *m_testResult;
    QLabel *m_error;
    QHash<settings::Setting, QLabel *> m_notes;
    QHash<settings::Setting, QWidget *> m_fields;
    bool m_keyEdited = false;
};

} // namespace cd::ui
