// Package live gives the platforms' clients the credentials and the
// directory in force. A department's window group, a person's platform
// user ids, the supervision section's and leaders' groups and the apps'
// credentials live in the database, which config and the console both
// manage (R10), so the senders read them from there, not from config: a
// change made in the console is used from the next notice on its replica,
// and on the others within snapshotTTL and one reading, with no restart.
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

// snapshotTTL is how long a copy of the directory is used before the next
// is read; the copy goes on serving while that reading is under way. One notice reads it three times or more (its route, its robot, each
// @-mention), and an outbox pass sends up to a hundred. A recipient the
// copy does not know, which would send the notice to the log, is looked
// for again in a fresh copy: a department added on another replica a
// moment ago is not lost.
const snapshotTTL = 2 * time.Second

// snapshot is the departments, staff and settings, read at most once per
// snapshotTTL.
type snapshot struct {
	dir        Directory
	mu         sync.Mutex
	read       time.Time
	edits      uint64 // dir.DirectoryEdits() when read
	view       *view
	gen        uint64 // of the last view read
	refreshing bool   // a reading in the background is under way
}

// view is one reading of the directory. It is never changed once read:
// holders may keep it.
type view struct {
	depts    map[string]models.Department
	staff    map[string]models.Staff
	settings models.Settings
	gen      uint64 // counts the readings: a later one is newer
}

// get is the copy in hand. One that has only aged is still served while
// its successor is read in the background: under load every send and
// callback would otherwise queue behind one reading of the directory. A
// copy from before this process's last edit is read again at once.
func (d *snapshot) get(ctx context.Context) (*view, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	edits := d.dir.DirectoryEdits()
	if d.view != nil && edits == d.edits {
		if time.Since(d.read) >= snapshotTTL && !d.refreshing {
			d.refreshing = true
			go d.refresh(context.WithoutCancel(ctx))
		}
		return d.view, nil
	}
	return d.readLocked(ctx, edits)
}

// fresh is get with a copy read now, unless one was read this instant.
func (d *snapshot) fresh(ctx context.Context) (*view, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	edits := d.dir.DirectoryEdits()
	if d.view != nil && edits == d.edits && time.Since(d.read) < 50*time.Millisecond {
		return d.view, nil
	}
	return d.readLocked(ctx, edits)
}

// readLocked reads the directory with d.mu held.
func (d *snapshot) readLocked(ctx context.Context, edits uint64) (*view, error) {
	v, err := readView(ctx, d.dir)
	if err != nil {
		if d.view == nil {
			return nil, err
		}
		// Serve the copy in hand for another TTL rather than queue every
		// send and callback behind a database that is not answering.
		d.read = time.Now()
		return d.view, nil
	}
	d.install(v, edits)
	return d.view, nil
}

// refresh reads the directory without holding d.mu, and keeps the reading
// unless another was kept meanwhile (it may be newer than this one).
func (d *snapshot) refresh(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d.mu.Lock()
	edits, gen := d.dir.DirectoryEdits(), d.gen
	d.mu.Unlock()
	v, err := readView(ctx, d.dir)
	d.mu.Lock()
	defer d.mu.Unlock()
	d.refreshing = false
	switch {
	case d.gen != gen:
	case err != nil:
		d.read = time.Now() // the copy in hand for another TTL, as readLocked does
	default:
		d.install(v, edits)
	}
}

func (d *snapshot) install(v *view, edits uint64) {
	d.gen++
	v.gen = d.gen
	d.view, d.read, d.edits = v, time.Now(), edits
}

func readView(ctx context.Context, dir Directory) (*view, error) {
	depts, err := dir.Departments(ctx)
	if err != nil {
		return nil, err
	}
	list, err := dir.AllStaff(ctx)
	if err != nil {
		return nil, err
	}
	settings, err := dir.Settings(ctx)
	if err != nil {
		return nil, err
	}
	staff := make(map[string]models.Staff, len(list))
	for _, st := range list {
		staff[st.ID] = st
	}
	return &view{depts: depts, staff: staff, settings: settings}, nil
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
