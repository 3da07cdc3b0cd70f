// Package live gives the platforms' clients the credentials and the
// directory in force. A department's window group, a person's platform
// user ids, the supervision section's and leaders' groups and the apps'
// credentials live in the database, which config and the console both
// manage (R10), so the senders read them from there, not from config: a
// change made in the console is used from the next notice on its replica,
// and within snapshotTTL on the others, with no restart.
//
// It decides where a notice goes (Routes) and builds the clients and the
// callbacks that verify inbound messages again when the credentials change
// (Platforms). It reads the directory through the small Directory
// interface; bot never imports casework.
package live

import (
	"context"
	"sync"
	"time"

	"bbcs/models"
)

// Directory is what the senders read of the departments, staff and
// settings (casework.Service).
type Directory interface {
	// DirectoryEdits counts this process's changes to departments and
	// staff: a copy read before the last one is stale.
	DirectoryEdits() uint64
	Departments(ctx context.Context) (map[string]models.Department, error)
	AllStaff(ctx context.Context) ([]models.Staff, error)
	Settings(ctx context.Context) (models.Settings, error)
}

// snapshotTTL bounds how stale the senders' view of the directory may be.
// One notice reads it three times or more (its route, its robot, each
// @-mention), and an outbox pass sends up to a hundred. A recipient the
// copy does not know, which would send the notice to the log, is looked
// for again in a fresh copy: a department added on another replica a
// moment ago is not lost.
const snapshotTTL = 2 * time.Second

// snapshot is the departments, staff and settings, read at most once per
// snapshotTTL.
type snapshot struct {
	dir   Directory
	mu    sync.Mutex
	read  time.Time
	edits uint64 // dir.DirectoryEdits() when read
	view  *view
	gen   uint64 // of the last view read
}

// view is one reading of the directory. It is never changed once read:
// holders may keep it.
type view struct {
	depts    map[string]models.Department
	staff    map[string]models.Staff
	settings models.Settings
	gen      uint64 // counts the readings: a later one is newer
}

func (d *snapshot) get(ctx context.Context) (*view, error) {
	return d.load(ctx, false)
}

// fresh is get with a copy read now, unless one was read this instant.
func (d *snapshot) fresh(ctx context.Context) (*view, error) {
	return d.load(ctx, true)
}

func (d *snapshot) load(ctx context.Context, fresh bool) (*view, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	edits := d.dir.DirectoryEdits()
	maxAge := snapshotTTL
	if fresh {
		maxAge = 50 * time.Millisecond
	}
	if d.view != nil && time.Since(d.read) < maxAge && edits == d.edits {
		return d.view, nil
	}
	depts, err := d.dir.Departments(ctx)
	var list []models.Staff
	if err == nil {
		list, err = d.dir.AllStaff(ctx)
	}
	var settings models.Settings
	if err == nil {
		settings, err = d.dir.Settings(ctx)
	}
	if err != nil {
		if d.view == nil {
			return nil, err
		}
		// Serve the copy in hand for another TTL rather than queue every
		// send and callback behind a database that is not answering.
		d.read = time.Now()
		return d.view, nil
	}
	staff := make(map[string]models.Staff, len(list))
	for _, st := range list {
		staff[st.ID] = st
	}
	d.gen++
	d.view, d.read, d.edits = &view{depts: depts, staff: staff, settings: settings, gen: d.gen}, time.Now(), edits
	return d.view, nil
}

// person is an active staff member by id, false when there is none.
func (d *snapshot) person(ctx context.Context, id string) (models.Staff, bool, error) {
	v, err := d.get(ctx)
	if err != nil {
		return models.Staff{}, false, err
	}
	st, ok := v.staff[id]
	if !ok {
		if v, err = d.fresh(ctx); err != nil {
			return models.Staff{}, false, err
		}
		st, ok = v.staff[id]
	}
	return st, ok && st.Active, nil
}

// ownGroup is the centre's own group a notice target names, if it does.
func (v *view) ownGroup(target string) (models.CentreGroup, bool) {
	switch target {
	case "supervision":
		return v.settings.Supervision, true
	case "leaders":
		return v.settings.Leaders, true
	}
	return models.CentreGroup{}, false
}
