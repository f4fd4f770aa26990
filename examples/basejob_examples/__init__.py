"""The seed's five jobs, shipped as working examples (registered in the `basejob.jobs` group)."""
