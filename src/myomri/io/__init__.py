"""Reading and writing images, masks and cohorts (NIfTI, NRRD, DICOM, BIDS/ORMIR-MIDS sidecars)."""
